"""Per-account locks that hold both inside this process and across processes.

The file lock is polled without blocking so waiting never occupies a worker thread:
several server processes may each wait on many accounts at once. Lock files are 0600 and
only ever regular files in ``home/locks``: a link or a named pipe there is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from multicodex.store.atomic import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tighten_mode
from multicodex.store.errors import StoreFileRefused, StoreUnreadableError
from multicodex.store.files import refuse_non_directory, refuse_non_regular

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
            path = self._directory / f"{name}.lock"
            lock = FileLock(path, mode=PRIVATE_FILE_MODE, thread_local=False)
            self._prepare(path)
            await self._acquire(lock, purpose)
            tighten_mode(path, PRIVATE_FILE_MODE)  # one an older version created 0644
            try:
                yield
            finally:
                lock.release()

    def _prepare(self, path: Path) -> None:
        """The directory is a real directory and the lock's path holds nothing but a
        regular file, so locking never follows a link or opens a named pipe."""
        with contextlib.suppress(FileExistsError):  # something else is there: refused below
            self._directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        refusal = refuse_non_directory(self._directory) or refuse_non_regular(path)
        if refusal is not None:
            raise StoreFileRefused(refusal.path, refusal.kind, refusal.target)

    async def _acquire(self, lock: FileLock, purpose: str) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._timeout
        delay = POLL_SECONDS
        while True:
            try:
                lock.acquire(blocking=False)
                return
            except Timeout:  # a TimeoutError, hence an OSError: caught first
                if loop.time() >= deadline:
                    raise LockTimeout(
                        f"another MultiCodex process held the {purpose} lock "
                        f"for more than {self._timeout:.0f} s"
                    ) from None
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_POLL_SECONDS)
            except OSError as exc:
                raise StoreUnreadableError(
                    f"cannot lock {lock.lock_file}: {exc.strerror}", Path(lock.lock_file)
                ) from None


def lock_directory(home: Path) -> Path:
    return home / "locks"
