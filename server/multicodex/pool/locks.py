"""Per-account locks that hold both inside this process and across processes.

On the file store they are file locks in ``home/locks``: one machine. On a store that
offers locks across machines (a database: `SharedLockSource`, PostgreSQL advisory locks)
they are those, so one machine at a time refreshes an account, fetches its usage or
decides to spend a reset credit.

The file lock is polled without blocking so waiting never occupies a worker thread:
several server processes may each wait on many accounts at once. Lock files are 0600 and
only ever regular files in ``home/locks``: a link or a named pipe there is refused.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Protocol, runtime_checkable

from filelock import FileLock, Timeout

from multicodex.model import StoredAccount
from multicodex.pool.errors import TokenRefreshFailed
from multicodex.store.atomic import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, tighten_mode
from multicodex.store.backend import StoreBackend
from multicodex.store.errors import StoreFileRefused, StoreLockTimeout, StoreUnreadableError
from multicodex.store.files import refuse_non_directory, refuse_non_regular

POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 0.1


DEFAULT_TIMEOUT_SECONDS = 60.0


class LockTimeout(TimeoutError):
    pass


class Claim(Protocol):
    async def before_spending(self, refresh_token: str) -> str | None:
        """Why the token must not be spent now, or None (its spending is claimed)."""
        ...


@runtime_checkable
class SharedLockSource(Protocol):
    """A store whose locks hold across machines."""

    def shared_lock(
        self, key: str, purpose: str, wait_seconds: float
    ) -> AbstractAsyncContextManager[Claim]: ...


class Held:
    """An account's lock, held; `before_spending` is asked before a refresh token is sent."""

    def __init__(self, claim: Claim | None = None) -> None:
        self._claim = claim

    async def before_spending(self, account: StoredAccount) -> None:
        """Raises `TokenRefreshFailed` when another machine's refresh of the same token
        may still land (its answer was not saved when its database connection broke)."""
        if self._claim is None:
            return
        blocked = await self._claim.before_spending(account.tokens.refresh_token)
        if blocked is not None:
            raise TokenRefreshFailed(account.key, account.display_name, blocked)


class AccountLocks:
    def __init__(
        self,
        directory: Path,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        shared: SharedLockSource | None = None,
    ) -> None:
        self._directory = directory
        self._timeout = timeout
        self._shared = shared
        self._local: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, key: str, purpose: str) -> AsyncIterator[Held]:
        name = f"{purpose}-{hashlib.sha256(key.encode()).hexdigest()[:24]}"
        async with self._local.setdefault(name, asyncio.Lock()):
            if self._shared is not None:
                async with self._hold_shared(self._shared, key, purpose) as held:
                    yield held
                return
            path = self._directory / f"{name}.lock"
            lock = FileLock(path, mode=PRIVATE_FILE_MODE, thread_local=False)
            self._prepare(path)
            await self._acquire(lock, purpose)
            tighten_mode(path, PRIVATE_FILE_MODE)  # one an older version created 0644
            try:
                yield Held()
            finally:
                lock.release()

    @asynccontextmanager
    async def _hold_shared(
        self, shared: SharedLockSource, key: str, purpose: str
    ) -> AsyncIterator[Held]:
        try:
            locked = shared.shared_lock(key, purpose, self._timeout)
            claim = await locked.__aenter__()
        except StoreLockTimeout:
            raise LockTimeout(
                f"another MultiCodex process held the {purpose} lock "
                f"for more than {self._timeout:.0f} s"
            ) from None
        async with contextlib.AsyncExitStack() as stack:
            stack.push_async_exit(locked)
            yield Held(claim)

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


def account_locks(store: StoreBackend, *, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> AccountLocks:
    """The store's locks across machines when it has them, else file locks in its home."""
    shared = store if isinstance(store, SharedLockSource) else None
    return AccountLocks(lock_directory(store.home), timeout=timeout, shared=shared)
