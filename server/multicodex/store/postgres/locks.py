"""Advisory locks: their keys, and locks held across machines.

PostgreSQL's advisory locks are one 64-bit namespace per database, so MultiCodex's keys
are derived from its own names (and a per-account key from the account's identity) to
stay clear of other applications' locks.

`AdvisoryLocks` holds session-scoped locks on a connection of their own (one per event
loop, whatever the number of locks: a server holds many at once and the database's
connections are few): a lock is held for as long as a refresh or a usage fetch takes (a
network request), which must not keep a transaction open on the store's connection.
Waiting polls ``pg_try_advisory_lock`` with a growing pause, so a waiter never occupies a
worker thread and a cancelled waiter leaves nothing queued in the database. A connection
that breaks while a lock is held lets the database release that lock; the
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

POLL_SECONDS = 0.01
MAX_POLL_SECONDS = 0.1


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
    """Session-scoped advisory locks on one connection to ``params`` per event loop (see
    the module). A session holds any number of locks; two holders of the same key in one
    process are kept apart by the caller (a lock of its own per key).

    ``unavailable`` turns a driver error into the store's one-line error (raised as is).
    """

    def __init__(self, params: str, unavailable: Callable[[psycopg.Error], Exception]) -> None:
        self._params = params
        self._unavailable = unavailable
        self._conns: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, psycopg.AsyncConnection
        ] = weakref.WeakKeyDictionary()
        self._connecting: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._releasing: set[asyncio.Future[None]] = set()

    @asynccontextmanager
    async def hold(self, key: int, wait_seconds: float) -> AsyncIterator[psycopg.AsyncConnection]:
        """Hold the lock ``key`` (waiting at most ``wait_seconds``, else `AdvisoryTimeout`);
        the connection holding it is given for statements that must be committed at once
        (it is in autocommit)."""
        conn = await self._connection()
        await self._acquire(conn, key, wait_seconds)
        try:
            yield conn
        finally:
            # Shielded: a holder cancelled now must not leave the lock held.
            await asyncio.shield(self._release(conn, key))

    async def close(self) -> None:
        """Close the running loop's connection (every lock on it is let go)."""
        conn = self._conns.pop(asyncio.get_running_loop(), None)
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    async def _connection(self) -> psycopg.AsyncConnection:
        loop = asyncio.get_running_loop()
        conn = self._conns.get(loop)
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        async with self._connecting.setdefault(loop, asyncio.Lock()):
            conn = self._conns.get(loop)
            if conn is not None and not conn.closed and not conn.broken:
                return conn
            try:
                conn = await psycopg.AsyncConnection.connect(self._params, autocommit=True)
            except psycopg.Error as exc:
                raise self._unavailable(exc) from None
            self._conns[loop] = conn
            return conn

    async def _acquire(self, conn: psycopg.AsyncConnection, key: int, wait_seconds: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_seconds
        delay = POLL_SECONDS
        while not await self._try(conn, key):
            if loop.time() >= deadline:
                raise AdvisoryTimeout(f"held elsewhere for more than {wait_seconds:.0f} s")
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_POLL_SECONDS)

    async def _try(self, conn: psycopg.AsyncConnection, key: int) -> bool:
        """One attempt. The statement runs to its end even when the waiter is cancelled
        (a statement cut short would spoil the connection every other lock is on), and a
        lock it took then is let go."""
        attempt = asyncio.ensure_future(self._try_statement(conn, key))
        try:
            return await asyncio.shield(attempt)
        except asyncio.CancelledError:

            def let_go(done: asyncio.Future[bool]) -> None:
                if not done.cancelled() and done.exception() is None and done.result():
                    self._releasing.add(asyncio.ensure_future(self._release(conn, key)))

            attempt.add_done_callback(let_go)
            raise

    async def _try_statement(self, conn: psycopg.AsyncConnection, key: int) -> bool:
        try:
            taken = await conn.execute("SELECT pg_try_advisory_lock(%s)", (key,))
            row = await taken.fetchone()
        except psycopg.Error as exc:
            await self._drop(conn)
            raise self._unavailable(exc) from None
        return bool(row is not None and row[0])

    async def _release(self, conn: psycopg.AsyncConnection, key: int) -> None:
        """Let the lock go; a connection that cannot is closed (which lets it go)."""
        try:
            if not (conn.closed or conn.broken):
                await conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
        except (psycopg.Error, OSError):
            await self._drop(conn)
        finally:
            self._releasing = {task for task in self._releasing if not task.done()}

    async def _drop(self, conn: psycopg.AsyncConnection) -> None:
        with contextlib.suppress(Exception):
            await conn.close()
