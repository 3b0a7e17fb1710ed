"""Usage from response headers: concurrent records of one account share store writes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from multicodex.model import UsageSnapshot, UsageWindow
from support.rig import Rig


def headers_snapshot(percent: float) -> UsageSnapshot:
    return UsageSnapshot(
        five_hour=UsageWindow(used_percent=percent, window_seconds=18000),
        fetched_at=time.time(),
        source="headers",
    )


def count_transactions(rig: Rig) -> list[int]:
    """Counts the store's write transactions (the real ones still run)."""
    store = rig.pool.store
    real: Callable[[], Any] = store.atransaction
    count = [0]

    @asynccontextmanager
    async def counted() -> AsyncIterator[Any]:
        count[0] += 1
        async with real() as doc:
            yield doc

    store.atransaction = counted  # type: ignore[method-assign]
    return count


async def test_concurrent_records_of_one_account_are_written_together(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    writes = count_transactions(rig)

    await asyncio.gather(
        *(rig.pool.record_usage(alice.key, headers_snapshot(p)) for p in range(1, 41))
    )

    stored = rig.pool.get(alice.key).usage
    assert stored is not None and stored.five_hour is not None
    assert stored.five_hour.used_percent == 40  # the last one recorded wins
    assert 1 <= writes[0] < 40


async def test_a_record_returns_once_its_snapshot_is_stored(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    for percent in (10.0, 20.0):
        await rig.pool.record_usage(alice.key, headers_snapshot(percent))
        stored = rig.pool.get(alice.key).usage
        assert stored is not None and stored.five_hour is not None
        assert stored.five_hour.used_percent == percent
