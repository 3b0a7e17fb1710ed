"""The account store in a PostgreSQL database: the same document and the same promises as
the file store (`multicodex.store.backend.StoreBackend`), shared by every machine that
points at the database.

A transaction is a database transaction holding a store-wide advisory lock (writers are
serialised as the file lock serialises them), reading the document inside it and writing
back only what changed. `peek` shares the last document read, checking the database's
revision counter once it is older than `PEEK_TTL_SECONDS`; a write of this process is
seen at once. A database that goes away fails each request at once with a clear error
(bounded connect and statement timeouts) and is connected to again on the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import psycopg
from psycopg import IsolationLevel, errors
from pydantic import ValidationError

from multicodex.store.document import DEFAULT_LOCK_TIMEOUT
from multicodex.store.errors import (
    StoreCorruptError,
    StoreError,
    StoreInvalidDocument,
    StoreLockTimeout,
)
from multicodex.store.machine import machine_id
from multicodex.store.paths import DOCUMENT_NAME, LOCK_NAME, QUARANTINE_NAME, SCHEMA_NAME
from multicodex.store.postgres import audit, intents, migrations, rows
from multicodex.store.postgres.audit import AuditEntry
from multicodex.store.postgres.errors import (
    StoreDatabaseNewer,
    StoreDatabaseUnavailable,
    StoreKeyError,
)
from multicodex.store.postgres.intents import Holder
from multicodex.store.postgres.keys import KeyRing, load_keyring, missing_key_message
from multicodex.store.postgres.listen import ChangeListener
from multicodex.store.postgres.locks import STORE_LOCK, AdvisoryLocks, AdvisoryTimeout, purpose_lock
from multicodex.store.postgres.sealing import Damaged, UnknownKey
from multicodex.store.postgres.urls import connection_parameters, redact
from multicodex.store.salvage import Repairs, summarise
from multicodex.store.schema import STORE_VERSION, StoreDocument
from multicodex.store.set_aside import SideFile

log = logging.getLogger(__name__)

PEEK_TTL_SECONDS = 0.25
_T = TypeVar("_T")


@dataclass(frozen=True)
class _Cached:
    document: StoreDocument
    revision: int
    checked_at: float


class PostgresStore:
    """The accounts in the database at ``url``; ``home`` is this machine's directory."""

    def __init__(
        self,
        url: str,
        home: Path,
        ring: KeyRing | None,
        machine: str,
        *,
        env: Mapping[str, str],
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> None:
        self.url = url
        self.home = home
        self.path = home / DOCUMENT_NAME
        self.lock_path = home / LOCK_NAME
        self.schema_path = home / SCHEMA_NAME
        self.quarantine_path = home / QUARANTINE_NAME
        self.machine = machine
        self.lock_timeout = lock_timeout
        self._env = env
        self._ring = ring
        self._params = connection_parameters(url, home)
        self._opener = rows.TokenOpener(ring) if ring is not None else None
        self._schema_version = 0
        self._cached: _Cached | None = None
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._reader: psycopg.Connection | None = None
        self._writer: psycopg.Connection | None = None
        self._fresh_connections()
        self._advisory = AdvisoryLocks(self._params, self._unavailable)
        self._listeners: list[ChangeListener] = []

    @classmethod
    def open(
        cls,
        url: str,
        *,
        home: Path,
        env: Mapping[str, str],
        create: bool = True,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        require_key: bool = True,
    ) -> PostgresStore:
        """Connect, check the schema version and the key, then (``create``) bring the
        schema up to date. Every check comes before the first write, so a refusal leaves
        the database as it was. Raises `StoreUrlInvalid`, `StoreDatabaseUnavailable`,
        `StoreDatabaseNewer` or `StoreKeyError`."""
        ring = load_keyring(home, env)
        store = cls(
            url, home, ring, machine_id(home, create=create), env=env, lock_timeout=lock_timeout
        )
        store._check_and_migrate(create=create, require_key=require_key)
        return store

    # -- what people see ---------------------------------------------------------------

    @property
    def location(self) -> str:
        return redact(self.url)

    @property
    def exists(self) -> bool:
        return self._schema_version > 0

    @property
    def schema_version(self) -> int:
        return self._schema_version

    @property
    def keyring(self) -> KeyRing | None:
        return self._ring

    # -- reading -----------------------------------------------------------------------

    def read(self) -> StoreDocument:
        return self.peek().model_copy(deep=True)

    def peek(self) -> StoreDocument:
        cached = self._cached
        now = time.monotonic()
        if cached is not None and now - cached.checked_at < PEEK_TTL_SECONDS:
            return cached.document
        if not self.exists:
            return StoreDocument()
        with self._reading() as conn:
            if cached is not None and rows.revision(conn) == cached.revision:
                self._cached = _Cached(cached.document, cached.revision, now)
                return cached.document
            loaded = self._load(conn)
        self._cached = _Cached(loaded.document, loaded.revision, now)
        return loaded.document

    def repairs(self) -> Repairs:
        return Repairs()

    def repairs_found(self) -> Repairs:
        return Repairs()

    def set_aside_files(self) -> list[SideFile]:
        return []

    def quarantined(self) -> StoreCorruptError | None:
        return None

    def acknowledge_corruption(self) -> StoreCorruptError | None:
        return None

    # -- writing -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[StoreDocument]:
        """Exclusive read-modify-write across every machine: saved (only what changed)
        when the block exits normally, rolled back when it raises."""
        work = _Transaction(self)
        document = work.begin()
        try:
            yield document
        except BaseException:
            work.rollback()
            raise
        work.commit(document)

    @asynccontextmanager
    async def atransaction(self) -> AsyncIterator[StoreDocument]:
        """`transaction` for coroutines: the database work runs in a worker thread; a task
        cancelled while it runs lets it finish (a begun transaction is then rolled back,
        a commit completes)."""
        async with self._gate():
            work = _Transaction(self)
            document = await _finish_in_thread(work.begin, abandoned=work.rollback)
            try:
                yield document
            except BaseException:
                await _finish_in_thread(work.rollback)
                raise
            await _finish_in_thread(work.commit, document)

    def reseal(self) -> int:
        """Seal every token again with the current key (after a key rotation); returns how
        many accounts were resealed."""
        try:
            with self._writing() as conn, conn.transaction():
                self._take_store_lock(conn)
                count = rows.reseal_all(conn, self._require_opener(), self._require_ring())
        except UnknownKey as exc:
            raise StoreKeyError(self._wrong_key_message([exc.key_id]), self.home) from None
        except Damaged:
            raise self._damaged() from None
        self._cached = None
        return count

    def use_keys(self, ring: KeyRing) -> None:
        """Seal with (and open with) ``ring`` from now on: a rotation's new keys."""
        self._ring = ring
        self._opener = rows.TokenOpener(ring)
        self._cached = None

    def take_lock_once(self) -> None:
        """Take the store lock in an empty transaction and let it go (`store verify`)."""
        with self._writing() as conn, conn.transaction():
            self._take_store_lock(conn)

    @asynccontextmanager
    async def shared_lock(
        self, key: str, purpose: str, wait_seconds: float
    ) -> AsyncIterator[RefreshClaim]:
        """Hold ``purpose``'s lock of the account ``key`` (its identity key) across every
        machine on the database; the document is read again inside it (another machine
        may just have written). Raises `StoreLockTimeout` after ``wait_seconds``.

        The claim given writes a refresh intent before a refresh token is spent; the
        intent is deleted when the block ends, unless it ends with a store error (the
        answer may then be in the journal, waiting for the database)."""
        try:
            async with self._advisory.hold(purpose_lock(key, purpose), wait_seconds) as conn:
                self._expire_cache()
                claim = RefreshClaim(self, conn, key)
                try:
                    yield claim
                except StoreError:
                    raise
                except BaseException:
                    await claim.settle()
                    raise
                await claim.settle()
        except AdvisoryTimeout:
            raise StoreLockTimeout(
                f"another MultiCodex process held the {purpose} lock of an account in "
                f"{self.location} for more than {wait_seconds:.0f} s",
                self.home,
            ) from None

    def watch(self, changed: Callable[[], None]) -> Callable[[], None]:
        """Call ``changed`` (from a thread of its own) whenever another process or machine
        saved a change, within a moment of its commit; returns the function that stops."""

        def heard(revision: int | None) -> None:
            cached = self._cached
            if revision is not None and cached is not None and revision <= cached.revision:
                return  # this process's own write, or already read
            self._expire_cache()
            changed()

        listener = ChangeListener(self._params, heard)
        listener.start()
        self._listeners.append(listener)

        def stop() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
            listener.stop()

        return stop

    def audit_entries(
        self, since: float | None = None, account: str | None = None
    ) -> list[AuditEntry]:
        """The recorded refreshes, switches, pins and logins, oldest first."""
        if not self.exists:
            return []
        with self._reading() as conn:
            return audit.entries(conn, since, account)

    @property
    def holder(self) -> Holder:
        """This machine and process, as intents and the audit name them."""
        return Holder.this_process(self.machine)

    def sealed_key_ids(self) -> set[str]:
        """The ids of the keys the stored tokens are sealed with."""
        if not self.exists:
            return set()
        with self._reading() as conn:
            return rows.key_ids(conn)

    def close(self) -> None:
        for listener in list(self._listeners):
            listener.stop()
        self._listeners.clear()
        for conn in (self._reader, self._writer):
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
        self._reader = self._writer = None

    # -- internals: opening ------------------------------------------------------------

    def _check_and_migrate(self, *, create: bool, require_key: bool) -> None:
        with self._writing() as conn:
            found = migrations.current_version(conn)
            conn.rollback()
            if found > migrations.SCHEMA_VERSION:
                raise StoreDatabaseNewer(self.location, self.home, found, migrations.SCHEMA_VERSION)
            if require_key:
                self._check_key(conn, found)
            if create and found < migrations.SCHEMA_VERSION:
                try:
                    migrations.migrate(conn)
                except errors.InsufficientPrivilege:
                    raise StoreDatabaseUnavailable(
                        f"the database user of {self.location} may not create the schema "
                        f"'{migrations.SCHEMA}': grant it CREATE on the database, or create "
                        "the schema owned by that user",
                        self.home,
                    ) from None
                found = migrations.current_version(conn)
                conn.rollback()
        self._schema_version = found

    def _check_key(self, conn: psycopg.Connection, version: int) -> None:
        if self._ring is None:
            raise StoreKeyError(missing_key_message(self.location, self.home, self._env), self.home)
        if version == 0:
            return
        unknown = rows.key_ids(conn) - {k.id for k in (self._ring.current, *self._ring.retired)}
        conn.rollback()
        if unknown:
            raise StoreKeyError(self._wrong_key_message(sorted(unknown)), self.home)

    def _wrong_key_message(self, key_ids: list[str]) -> str:
        source = self._ring.source if self._ring is not None else "the key"
        return (
            f"the encryption key from {source} is not the one the tokens in {self.location} "
            f"were sealed with (key id {', '.join(key_ids)}); set the right key in "
            "MULTICODEX_STORE_KEY or the key file, and keep the old one listed after the new "
            "one while rotating"
        )

    # -- internals: connections --------------------------------------------------------

    def _fresh_connections(self) -> None:
        self._pid = os.getpid()
        self._reader = None
        self._writer = None
        self._read_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def _connections_of_this_process(self) -> None:
        """A forked child opens its own connections (a socket is not shared safely)."""
        if self._pid != os.getpid():
            self._fresh_connections()

    def _connect(self, *, reader: bool) -> psycopg.Connection:
        try:
            conn = psycopg.connect(self._params)
        except psycopg.Error as exc:
            raise self._unavailable(exc) from None
        if reader:
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
        return conn

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection]:
        self._connections_of_this_process()
        with self._read_lock:
            if self._reader is None or self._reader.closed:
                self._reader = self._connect(reader=True)
            conn = self._reader
            try:
                with conn.transaction():
                    yield conn
            except psycopg.Error as exc:
                self._drop_reader()
                raise self._unavailable(exc) from None

    @contextmanager
    def _writing(self) -> Iterator[psycopg.Connection]:
        self._connections_of_this_process()
        if not self._write_lock.acquire(timeout=self.lock_timeout):
            raise self._lock_timeout()
        try:
            if self._writer is None or self._writer.closed:
                self._writer = self._connect(reader=False)
            try:
                yield self._writer
            except errors.LockNotAvailable:
                self._rollback_quietly()
                raise self._lock_timeout() from None
            except psycopg.Error as exc:
                self._drop_writer()
                raise self._unavailable(exc) from None
        finally:
            self._write_lock.release()

    def _drop_reader(self) -> None:
        if self._reader is not None:
            with contextlib.suppress(Exception):
                self._reader.close()
        self._reader = None

    def _drop_writer(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._writer = None

    def _rollback_quietly(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.rollback()

    def _take_store_lock(self, conn: psycopg.Connection) -> None:
        conn.execute(f"SET LOCAL lock_timeout = {int(self.lock_timeout * 1000)}")
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (STORE_LOCK,))

    def _load(self, conn: psycopg.Connection) -> rows.Loaded:
        try:
            return rows.load(conn, self._require_opener(), self.machine)
        except UnknownKey as exc:
            raise StoreKeyError(self._wrong_key_message([exc.key_id]), self.home) from None
        except Damaged:
            raise self._damaged() from None
        except rows.RowUnusable as exc:
            raise StoreDatabaseUnavailable(
                f"{self.location} holds an account MultiCodex cannot use ({exc})", self.home
            ) from None
        except ValidationError as exc:
            raise StoreDatabaseUnavailable(
                f"{self.location} holds settings MultiCodex cannot use ({summarise(exc)})",
                self.home,
            ) from None

    def _damaged(self) -> StoreKeyError:
        return StoreKeyError(
            f"tokens in {self.location} do not open with the key that has their key id: "
            "they were changed outside MultiCodex, or the key file was edited",
            self.home,
        )

    def _require_ring(self) -> KeyRing:
        if self._ring is None:
            raise StoreKeyError(missing_key_message(self.location, self.home, self._env), self.home)
        return self._ring

    def _require_opener(self) -> rows.TokenOpener:
        self._require_ring()
        assert self._opener is not None
        return self._opener

    def _unavailable(self, exc: psycopg.Error) -> StoreDatabaseUnavailable:
        """One line, without the password or any value of a statement."""
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return StoreDatabaseUnavailable(
            f"the store database {self.location} cannot be used now ({first}); check that "
            "it is running and reachable, and the URL and its user",
            self.home,
        )

    def _lock_timeout(self) -> StoreLockTimeout:
        return StoreLockTimeout(
            f"another MultiCodex process kept the store {self.location} locked for more "
            f"than {self.lock_timeout:.0f} s",
            self.home,
        )

    def _expire_cache(self) -> None:
        """The next peek checks the revision in the database, however recent the cache."""
        cached = self._cached
        if cached is not None:
            self._cached = _Cached(cached.document, cached.revision, float("-inf"))

    def _gate(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Lock()
        return gate


class _Transaction:
    """One write of the document: begun (lock taken, document read), then committed or
    rolled back, each step possibly in another worker thread."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self._writing: contextlib.ExitStack | None = None
        self._conn: psycopg.Connection | None = None
        self._before: StoreDocument | None = None

    def begin(self) -> StoreDocument:
        store = self.store
        if not store.exists:
            raise StoreDatabaseUnavailable(
                f"the store database {store.location} has no MultiCodex schema yet; run a "
                "command that saves (a login or an import) or `multicodex store migrate`",
                store.home,
            )
        stack = contextlib.ExitStack()
        conn = stack.enter_context(store._writing())
        try:
            store._take_store_lock(conn)
            loaded = store._load(conn)
        except BaseException as exc:
            _rollback(conn)
            stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        self._writing, self._conn, self._before = stack, conn, loaded.document
        return loaded.document.model_copy(deep=True)

    def commit(self, document: StoreDocument) -> None:
        stack, conn, before = self._taken()
        try:
            validated = _validated(document, self.store)
            revision = rows.save(
                conn, self.store._require_ring(), self.store.machine, before, validated
            )
            audit.record(conn, self.store.holder, audit.changes(before, validated, time.time()))
            conn.commit()
        except BaseException as exc:
            _rollback(conn)
            stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        stack.close()
        if revision is not None:
            self.store._cached = _Cached(validated, revision, time.monotonic())

    def rollback(self) -> None:
        if self._writing is None or self._conn is None:
            return
        stack, conn, _ = self._taken()
        _rollback(conn)
        stack.close()

    def _taken(self) -> tuple[contextlib.ExitStack, psycopg.Connection, StoreDocument]:
        stack, conn, before = self._writing, self._conn, self._before
        assert stack is not None and conn is not None and before is not None
        self._writing = self._conn = self._before = None
        return stack, conn, before


class RefreshClaim:
    """What the holder of an account's refresh lock may do on its lock's connection:
    claim the refresh token it is about to spend (see `intents`)."""

    def __init__(self, store: PostgresStore, conn: psycopg.AsyncConnection, key: str) -> None:
        self._store = store
        self._conn = conn
        self._key = key
        self._claimed = False

    async def before_spending(self, refresh_token: str) -> str | None:
        """Why the token must not be spent now (another machine's answer may be on its
        way to the database), or None once the intent to spend it is committed."""
        holder = self._store.holder
        try:
            blocked = await intents.blocking(self._conn, self._key, refresh_token, holder)
            if blocked is not None:
                return blocked
            await intents.write(self._conn, self._key, refresh_token, holder)
        except psycopg.Error as exc:
            raise self._store._unavailable(exc) from None
        self._claimed = True
        return None

    async def settle(self) -> None:
        """The outcome is in the database (or nothing was rotated): drop the intent."""
        if not self._claimed:
            return
        with contextlib.suppress(psycopg.Error, OSError):
            await intents.clear(self._conn, self._key, self._store.holder)


def _rollback(conn: psycopg.Connection) -> None:
    with contextlib.suppress(Exception):
        conn.rollback()


def _validated(document: StoreDocument, store: PostgresStore) -> StoreDocument:
    payload: dict[str, Any] = document.model_dump(mode="json", warnings=False)
    payload["version"] = STORE_VERSION
    try:
        return StoreDocument.model_validate(payload)
    except ValidationError as exc:
        raise StoreInvalidDocument(
            f"refused to write to {store.location}: {summarise(exc)}", store.home
        ) from None


async def _finish_in_thread(
    fn: Callable[..., _T], *args: Any, abandoned: Callable[[], None] | None = None
) -> _T:
    """Run ``fn`` in a worker thread to its end even if the caller is cancelled; then
    ``abandoned`` undoes what it did (a begun transaction nobody will finish)."""
    future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        if abandoned is not None:
            undo = abandoned

            def after(done: asyncio.Future[Any]) -> None:
                if not done.cancelled() and done.exception() is None:
                    undo()

            future.add_done_callback(after)
        raise


__all__ = ["PostgresStore", "StoreError"]
