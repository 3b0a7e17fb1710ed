"""A store peeked many times in one turn of the event loop looks at its file once: its own
writes show at once, another process's from the next turn, and outside a loop every peek
looks at the file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from multicodex.store.document import Store


def set_ttl(store: Store, seconds: int) -> None:
    with store.transaction() as doc:
        doc.settings.usage_ttl_seconds = seconds


def ttl(store: Store) -> int:
    return store.peek().settings.usage_ttl_seconds


async def test_another_process_s_write_shows_from_the_next_turn(home: Path) -> None:
    mine, theirs = Store(home), Store(home)
    set_ttl(mine, 100)
    assert ttl(mine) == 100

    set_ttl(theirs, 200)

    assert ttl(mine) == 100  # this turn's document
    await asyncio.sleep(0)
    assert ttl(mine) == 200


async def test_the_store_s_own_write_shows_at_once(home: Path) -> None:
    store = Store(home)
    set_ttl(store, 100)
    assert ttl(store) == 100

    set_ttl(store, 200)
    assert ttl(store) == 200

    async with store.atransaction() as doc:
        doc.settings.usage_ttl_seconds = 300
    assert ttl(store) == 300


def test_outside_a_loop_every_peek_looks_at_the_file(home: Path) -> None:
    mine, theirs = Store(home), Store(home)
    set_ttl(mine, 100)
    assert ttl(mine) == 100

    set_ttl(theirs, 200)

    assert ttl(mine) == 200


async def test_a_removed_file_shows_from_the_next_turn(home: Path) -> None:
    store = Store(home)
    set_ttl(store, 100)
    assert ttl(store) == 100

    store.path.unlink()
    await asyncio.sleep(0)

    assert ttl(store) == Store(home).peek().settings.usage_ttl_seconds != 100
