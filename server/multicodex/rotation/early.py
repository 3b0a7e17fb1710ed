"""Entering an async context manager early: its first steps (sending a request) run in a
task of their own while the caller does other work, which then waits for what it yields.

An attempt tells the client which account serves it (pre-flight words, a start delta)
while its request is on the way to the backend instead of before sending it, so that
work is no longer on the path to the first byte.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from typing import TypeVar

T = TypeVar("T")


@contextlib.asynccontextmanager
async def entered_early(
    manager: AbstractAsyncContextManager[T],
) -> AsyncIterator[asyncio.Future[T]]:
    """Start entering ``manager`` and let it run to its first wait (one loop turn); the
    block gets the entry to await. Leaving the block leaves ``manager`` if it was
    entered (with the block's exception), or cancels an entry still under way."""
    entry = asyncio.ensure_future(manager.__aenter__())
    await asyncio.sleep(0)
    try:
        yield entry
    except BaseException as exc:
        if await _entered(entry):
            if not await manager.__aexit__(type(exc), exc, exc.__traceback__):
                raise
            return
        raise
    if await _entered(entry):
        await manager.__aexit__(None, None, None)


async def _entered(entry: asyncio.Future[T]) -> bool:
    """Whether the entry succeeded; one still under way is cancelled and waited for (it
    may have succeeded meanwhile: then it is left like any other)."""
    if not entry.done():
        entry.cancel()
        await asyncio.wait([entry])
    return not entry.cancelled() and entry.exception() is None
