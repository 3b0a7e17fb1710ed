"""Per-account locks that hold both inside this process and across processes.

The file lock is polled without blocking so waiting never occupies a worker thread:
several server processes may each wait on many accounts at once.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from filelock import FileLock, Timeout

POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 0.1


class LockTimeout(TimeoutError):
    pass


class AccountLocks:
    def __init__(self, directory: Path, *, timeout: float = 60.0) -> None:
        self._directory = directory
        self._timeout = timeout
        self._local: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, key: str, purpose: str) -> AsyncIterator[None]:
        name = f"{purpose}-{hashlib.sha256(key.encode()).hexdigest()[:24]}"
        async with self._local.setdefault(name, asyncio.Lock()):
            lock = FileLock(self._directory / f"{name}.lock", thread_local=False)
            await self._acquire(lock, purpose)
            try:
                yield
            finally:
                lock.release()

    async def _acquire(self, lock: FileLock, purpose: str) -> None:
        self._directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        delay = POLL_SECONDS
        while True:
            try:
                lock.acquire(blocking=False)
                return
            except Timeout:
                if loop.time() >= deadline:
                    raise LockTimeout(
                        f"another MultiCodex process held the {purpose} lock "
                        f"for more than {self._timeout:.0f} s"
                    ) from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_POLL_SECONDS)


def lock_directory(home: Path) -> Path:
    return home / "locks"
