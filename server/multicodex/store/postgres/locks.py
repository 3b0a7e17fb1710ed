"""Advisory locks: their keys, and locks held across machines.

PostgreSQL's advisory locks are one 64-bit namespace per database, so MultiCodex's keys
are derived from its own names (and a per-account key from the account's identity) to
stay clear of other applications' locks.

`AdvisoryLocks` holds session-scoped locks, each on a connection of its own taken from a
small set kept per event loop: a lock is held for as long as a refresh or a usage fetch
takes (a network request), which must not keep a transaction open on the store's
connection. Waiting polls ``pg_try_advisory_lock`` with a growing pause, so a waiter never
occupies a worker thread and a cancelled waiter leaves nothing queued in the database. A
connection that breaks while a lock is held lets the database release that lock; the
refresh intents (`intents`) cover what the holder was doing then.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import psycopg
from psycopg.pq import TransactionStatus

POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 0.1
IDLE_CONNECTIONS = 8
"""Lock connections kept open per event loop between uses (more are opened when needed)."""


def lock_key(name: str) -> int:
    """A signed 64-bit key for ``name``."""
    digest = hashlib.sha256(f"multicodex:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


STORE_LOCK = lock_key("store")
"""Held (transaction-scoped) by every write of the document: writers are serialised as
the file lock serialises them."""
MIGRATION_LOCK = lock_key("migration")


def account_lock(identity: str) -> int:
    """The key of one account's lock (its refresh owner), by identity key."""
    return lock_key(f"account:{identity}")


def purpose_lock(identity: str, purpose: str) -> int:
    """The key of a lock for ``purpose`` ("refresh": `account_lock`; "usage", "reset-credit")."""
    return account_lock(identity) if purpose == "refresh" else lock_key(f"{purpose}:{identity}")


class AdvisoryTimeout(TimeoutError):
    """Another session held the lock longer than the caller waits."""


class AdvisoryLocks:
    """Session-scoped advisory locks on connections to ``params`` (see the module).

    ``unavailable`` turns a driver error into the store's one-line error (raised as is).
    """

    def __init__(self, params: str, unavailable: Callable[[psycopg.Error], Exception]) -> None:
        self._params = params
        self._unavailable = unavailable
        self._idle: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[psycopg.AsyncConnection]
        ] = weakref.WeakKeyDictionary()

    @asynccontextmanager
    async def hold(self, key: int, wait_seconds: float) -> AsyncIterator[psycopg.AsyncConnection]:
        """Hold the lock ``key`` (waiting at most ``wait_seconds``, else
        `AdvisoryTimeout`); the connection holding it is given for statements that must
        be committed at once (it is in autocommit)."""
        conn = await self._borrow()
        try:
            await self._acquire(conn, key, wait_seconds)
        except BaseException:
            await self._give_back(conn, healthy=False)
            raise
        try:
            yield conn
        finally:
            # Shielded: a holder cancelled now must not leave the lock held on an idle
            # connection.
            await asyncio.shield(self._let_go(conn, key))

    async def close(self) -> None:
        """Close the idle connections of the running loop."""
        idle = self._idle.pop(asyncio.get_running_loop(), [])
        for conn in idle:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _borrow(self) -> psycopg.AsyncConnection:
        idle = self._idle.setdefault(asyncio.get_running_loop(), [])
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE:
                return conn
            with contextlib.suppress(Exception):
                await conn.close()
        try:
            return await psycopg.AsyncConnection.connect(self._params, autocommit=True)
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None

    async def _give_back(self, conn: psycopg.AsyncConnection, *, healthy: bool) -> None:
        idle = self._idle.setdefault(asyncio.get_running_loop(), [])
        if healthy and not conn.closed and len(idle) < IDLE_CONNECTIONS:
            idle.append(conn)
            return
        with contextlib.suppress(Exception):
            await conn.close()

    async def _acquire(self, conn: psycopg.AsyncConnection, key: int, wait_seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        delay = POLL_SECONDS
        while True:
            try:
                taken = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
                row = await taken.fetchone()
            except psycopg.Error as exc:
                raise self._unavailable(exc) from None
            if row is not None and row[0]:
                return
            if loop.time() >= deadline:
                raise AdvisoryTimeout(f"held elsewhere for more than {wait_seconds:.0f} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_POLL_SECONDS)

    async def _let_go(self, conn: psycopg.AsyncConnection, key: int) -> None:
        await self._give_back(conn, healthy=await self._release(conn, key))

    async def _release(self, conn: psycopg.AsyncConnection, key: int) -> bool:
        """Let the lock go; False when the connection is unusable (closing it lets go)."""
        try:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        except (psycopg.Error, OSError):
            return False
        return True
