"""Entering a stream early: the entry runs before the block's own work, is left with the
block's outcome, and an entry still under way when the block ends is cancelled."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from multicodex.rotation.early import entered_early


class Recorded:
    def __init__(self, *, hold: asyncio.Event | None = None, fail: bool = False) -> None:
        self.steps: list[str] = []
        self._hold = hold
        self._fail = fail

    @contextlib.asynccontextmanager
    async def manager(self) -> AsyncIterator[str]:
        self.steps.append("sent")
        try:
            if self._hold is not None:
                await self._hold.wait()
        except asyncio.CancelledError:
            self.steps.append("cancelled")
            raise
        if self._fail:
            raise ConnectionError("refused")
        try:
            yield "stream"
        except ValueError:
            self.steps.append("left with ValueError")
            raise
        else:
            self.steps.append("left")


async def test_the_entry_starts_before_the_block_runs_and_is_left_after_it() -> None:
    recorded = Recorded()

    async with entered_early(recorded.manager()) as entry:
        recorded.steps.append("announced")
        assert await entry == "stream"

    assert recorded.steps == ["sent", "announced", "left"]


async def test_the_block_s_exception_reaches_the_entered_manager() -> None:
    recorded = Recorded()

    with pytest.raises(ValueError):
        async with entered_early(recorded.manager()) as entry:
            await entry
            raise ValueError("bad answer")

    assert recorded.steps == ["sent", "left with ValueError"]


async def test_a_failed_entry_is_raised_where_it_is_awaited_and_not_left() -> None:
    recorded = Recorded(fail=True)

    with pytest.raises(ConnectionError):
        async with entered_early(recorded.manager()) as entry:
            recorded.steps.append("announced")
            await entry

    assert recorded.steps == ["sent", "announced"]


async def test_an_entry_under_way_is_cancelled_when_the_block_ends_without_it() -> None:
    hold = asyncio.Event()
    recorded = Recorded(hold=hold)

    with pytest.raises(RuntimeError):
        async with entered_early(recorded.manager()):
            raise RuntimeError("the client went away")

    assert recorded.steps == ["sent", "cancelled"]


async def test_a_block_cancelled_while_waiting_cancels_the_entry() -> None:
    hold = asyncio.Event()
    recorded = Recorded(hold=hold)

    async def attempt() -> None:
        async with entered_early(recorded.manager()) as entry:
            await entry

    task = asyncio.ensure_future(attempt())
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    assert recorded.steps == ["sent", "cancelled"]
