"""Every peek sees the file as it is now: another process's write shows at the next peek,
also within one turn of the event loop (a refresh re-reads its account under the lock in
the turn it took the lock, and a document from before the lock would make it use a spent
refresh token), and a settled file is recognised without being read again."""

from __future__ import annotations

import os
import time
from pathlib import Path

from multicodex.store.document import Store


def set_ttl(store: Store, seconds: int) -> None:
    with store.transaction() as doc:
        doc.settings.usage_ttl_seconds = seconds


def ttl(store: Store) -> int:
    return store.peek().settings.usage_ttl_seconds


async def test_another_process_s_write_shows_at_the_next_peek_within_one_turn(
    home: Path,
) -> None:
    mine, theirs = Store(home), Store(home)
    set_ttl(mine, 100)
    assert ttl(mine) == 100

    set_ttl(theirs, 200)

    assert ttl(mine) == 200  # no await between: the same turn of the loop


def test_a_settled_file_replaced_by_another_process_is_read_again(home: Path) -> None:
    mine, theirs = Store(home), Store(home)
    set_ttl(mine, 100)
    settled = time.time() - 5
    os.utime(mine.path, (settled, settled))
    assert ttl(mine) == 100
    assert ttl(mine) == 100  # recognised by its identity

    set_ttl(theirs, 200)

    assert ttl(mine) == 200
