"""The account store: one versioned JSON document shared by every MultiCodex process.

Reads are cheap and never stale: the parsed document is reused only while the file's
identity (inode, size, mtime, ctime) is unchanged. Every write happens inside a
cross-process lock on a document re-read inside that lock, so no process ever writes back
an old copy over newer data. A document that cannot be used is moved aside and reported,
never replaced. One that parses but is partly invalid keeps its good parts (`salvage`):
the accounts it cannot use are kept in a side file (`set_aside`) before anything is
written, and the next write saves the repaired document.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import os
import stat
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from pydantic import ValidationError

from multicodex.store.atomic import (
    PRIVATE_FILE_MODE,
    ensure_private_dir,
    remove_stale_temps,
    tighten_mode,
    write_private,
)
from multicodex.store.compact import forget_fields_set
from multicodex.store.errors import (
    StoreCorruptError,
    StoreFileRefused,
    StoreHomeUnusable,
    StoreInvalidDocument,
    StoreLockTimeout,
    StoreNewerVersionError,
    StoreUnreadableError,
)
from multicodex.store.files import (
    NestedTooDeeply,
    WrongFileType,
    open_regular,
    parse_json,
    read_regular,
    refuse_non_regular,
)
from multicodex.store.paths import (
    DOCUMENT_NAME,
    LOCK_NAME,
    QUARANTINE_NAME,
    SCHEMA_NAME,
    check_home,
    resolve_home,
)
from multicodex.store.salvage import (
    FieldFallback,
    Repairs,
    SetAsideAccount,
    Unsalvageable,
    describe,
    salvage,
    summarise,
)
from multicodex.store.salvage import log as repair_log
from multicodex.store.schema import STORE_VERSION, StoreDocument
from multicodex.store.set_aside import SideFile, keep_aside, side_files

log = logging.getLogger(__name__)
QUARANTINE_LOGGER = "multicodex.store.quarantine"
"""A document moved aside is logged here (a warning): a client that says it in its own
words (the CLI's failure line) may quiet this logger."""
quarantine_log = logging.getLogger(QUARANTINE_LOGGER)

SCHEMA_REF = f"./{SCHEMA_NAME}"
"""What the document's ``$schema`` key holds: the schema file beside it."""
DEFAULT_LOCK_TIMEOUT = 60.0
PI_MULTICODEX_FORMAT = "pi-multicodex"
_POLL_START = 0.002
_POLL_MAX = 0.05
_T = TypeVar("_T")
_SETTLED_NS = 1_000_000_000


@dataclass(frozen=True)
class _FileIdentity:
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> _FileIdentity:
        return cls(st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)


@dataclass(frozen=True)
class _Parse:
    """A document and what it needed (see `Store.repairs`), with the size and digest of the
    bytes it came from: the bytes themselves (as large as the document) are not kept."""

    size: int
    digest: bytes
    document: StoreDocument
    repairs: Repairs

    @classmethod
    def of(cls, raw: bytes, document: StoreDocument, repairs: Repairs) -> _Parse:
        return cls(len(raw), _digest(raw), document, repairs)

    def came_from(self, raw: bytes) -> bool:
        return self.size == len(raw) and self.digest == _digest(raw)


def _digest(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()


class _Unusable(Exception):
    """The bytes on disk are not a document this version can use (internal)."""

    def __init__(self, reason: str, foreign_format: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.foreign_format = foreign_format


class _NeedsLock(Exception):
    """The document has accounts to set aside: only a holder of the lock may write the
    side file (internal)."""


class Store:
    """The document at ``home/accounts.json`` with its lock and schema beside it."""

    def __init__(self, home: Path, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.home = home
        self.path = home / DOCUMENT_NAME
        self.lock_path = home / LOCK_NAME
        self.schema_path = home / SCHEMA_NAME
        self.quarantine_path = home / QUARANTINE_NAME
        self.lock_timeout = lock_timeout
        self._new_locks()
        self._gates: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._cache: tuple[_FileIdentity, StoreDocument] | None = None
        self._parsed: _Parse | None = None
        """The last document parsed (or written): the same bytes are not parsed again, e.g.
        when every read of the second after a write finds an identity too young to trust."""
        self._found: list[FieldFallback | SetAsideAccount] = []
        self._found_lock = threading.Lock()

    @classmethod
    def open(
        cls,
        home: Path | str | None = None,
        *,
        env: Mapping[str, str] | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        create: bool = True,
    ) -> Store:
        """Resolve the directory (argument > MULTICODEX_HOME > platform default), create it
        0700, tighten the modes of existing files and keep the JSON Schema file current.

        Without ``create`` (a command that only reads) a missing directory is left
        missing: the store reads as empty and `exists` is False. Raises `StoreHomeUnusable`
        when the directory cannot be one (a file is there, or it cannot be created).
        """
        store = cls(resolve_home(home, env), lock_timeout=lock_timeout)
        check_home(store.home)
        if not create and not store.exists:
            return store
        try:
            ensure_private_dir(store.home)
        except OSError as exc:
            raise StoreHomeUnusable(store.home, f"cannot be created: {exc.strerror}") from None
        for path in (store.path, store.lock_path, store.quarantine_path):
            tighten_mode(path, PRIVATE_FILE_MODE)
        store._write_schema_if_changed()
        return store

    @property
    def exists(self) -> bool:
        """The store's directory is there (a command that only reads does not create it)."""
        return self.home.is_dir()

    @property
    def location(self) -> str:
        """The document's path, for people."""
        return str(self.path)

    # -- reading -----------------------------------------------------------------------

    def read(self) -> StoreDocument:
        """The current document, as a deep copy the caller may mutate freely.

        Raises `StoreCorruptError` (after moving the file aside), `StoreNewerVersionError`
        or `StoreUnreadableError`. A missing file is an empty document, unless a corrupt
        one was moved aside and nobody has acknowledged that yet.
        """
        return self.peek().model_copy(deep=True)

    def peek(self) -> StoreDocument:
        """The current document, shared with every other caller: read it, never change it
        (changes go through `transaction`). As fresh as `read` and far cheaper: copying a
        document costs more than everything a request does with it. Same errors as `read`.
        """
        unchanged = self._unchanged()
        if unchanged is not None:
            return unchanged
        try:
            return self._read_current(use_cache=True, locked=False)
        except (_Unusable, _NeedsLock):
            with self._locked():
                return self._load_locked()

    def repairs(self) -> Repairs:
        """What the current document needed to be used: the values that fell back to their
        defaults and the accounts set aside (none once a write saved the repaired
        document). Same errors as `read`."""
        self.peek()
        parsed = self._parsed
        return parsed.repairs if parsed is not None else Repairs()

    def repairs_found(self) -> Repairs:
        """Every repair this process found so far, each once, in the order found (a
        write that saved the repaired document does not undo them)."""
        with self._found_lock:
            found = list(self._found)
        return Repairs(
            tuple(r for r in found if isinstance(r, FieldFallback)),
            tuple(r for r in found if isinstance(r, SetAsideAccount)),
        )

    def set_aside_files(self) -> list[SideFile]:
        """The side files beside the document that keep accounts it could not use."""
        return side_files(self.path)

    def quarantined(self) -> StoreCorruptError | None:
        """The unacknowledged report of a document that was moved aside, if any."""
        if os.path.lexists(self.path):
            return None
        return self._read_quarantine()

    def acknowledge_corruption(self) -> StoreCorruptError | None:
        """Accept starting from an empty store after a corrupt document was moved aside.

        Returns the report that was acknowledged (None if there was none).
        """
        with self._locked():
            report = self.quarantined()
            with contextlib.suppress(FileNotFoundError):
                self.quarantine_path.unlink()
            return report

    # -- writing -----------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[StoreDocument]:
        """Exclusive read-modify-write: the yielded document is fresh from disk and is
        written atomically when the block exits normally (not when it raises)."""
        self._acquire()
        try:
            document = self._load_for_change()
            yield document
            self._write_locked(document)
        finally:
            self._release()

    @asynccontextmanager
    async def atransaction(self) -> AsyncIterator[StoreDocument]:
        """`transaction` for coroutines: waiting for the lock never blocks the event loop,
        and file work runs in a worker thread. If the task is cancelled while a write is
        under way, the write completes and the lock is released after it."""
        async with self._gate():
            await self._acquire_async()
            holder = _LockHolder(self._release)
            try:
                document = await holder.run(self._load_for_change)
                yield document
                await holder.run(self._write_locked, document)
            finally:
                holder.release()

    # -- internals: lock ---------------------------------------------------------------

    @contextmanager
    def _locked(self) -> Iterator[None]:
        self._acquire()
        try:
            yield
        finally:
            self._release()

    def _new_locks(self) -> None:
        self._pid = os.getpid()
        self._thread_lock = threading.Lock()
        self._file_lock = FileLock(self.lock_path, mode=PRIVATE_FILE_MODE, thread_local=False)

    def _locks_of_this_process(self) -> None:
        """A forked child must not use its parent's lock objects (the lock is per process)."""
        if self._pid != os.getpid():
            self._new_locks()

    def _acquire(self) -> None:
        self._locks_of_this_process()
        deadline = time.monotonic() + self.lock_timeout
        if not self._thread_lock.acquire(timeout=self.lock_timeout):
            raise self._lock_timeout_error()
        try:
            self._prepare_lock_file()
            self._file_lock.acquire(timeout=max(0.0, deadline - time.monotonic()))
        except Timeout:
            self._thread_lock.release()
            raise self._lock_timeout_error() from None
        except OSError as exc:
            self._thread_lock.release()
            raise self._lock_failure(exc) from None
        except BaseException:
            self._thread_lock.release()
            raise

    def _try_acquire(self) -> bool:
        self._locks_of_this_process()
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            self._prepare_lock_file()
            self._file_lock.acquire(blocking=False)
        except Timeout:
            self._thread_lock.release()
            return False
        except OSError as exc:
            self._thread_lock.release()
            raise self._lock_failure(exc) from None
        except BaseException:
            self._thread_lock.release()
            raise
        return True

    async def _acquire_async(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.lock_timeout
        delay = _POLL_START
        while not self._try_acquire():
            if loop.time() >= deadline:
                raise self._lock_timeout_error()
            await asyncio.sleep(delay)
            delay = min(delay * 2, _POLL_MAX)

    def _release(self) -> None:
        try:
            self._file_lock.release()
        finally:
            self._thread_lock.release()

    def _gate(self) -> asyncio.Lock:
        """Coroutines of one event loop queue here instead of all polling the file lock."""
        loop = asyncio.get_running_loop()
        gate = self._gates.get(loop)
        if gate is None:
            gate = self._gates[loop] = asyncio.Lock()
        return gate

    def _prepare_lock_file(self) -> None:
        """The home exists, and nothing but a regular file (or nothing) is at the lock's
        path: the lock never opens a named pipe or a file elsewhere through a link."""
        ensure_private_dir(self.home)
        refusal = refuse_non_regular(self.lock_path)
        if refusal is not None:
            raise _refused(refusal)

    def _lock_failure(self, exc: OSError) -> StoreUnreadableError:
        return StoreUnreadableError(f"cannot lock {self.lock_path}: {exc.strerror}", self.path)

    def _lock_timeout_error(self) -> StoreLockTimeout:
        return StoreLockTimeout(
            f"another MultiCodex process kept {self.lock_path} locked for more than "
            f"{self.lock_timeout:.0f} s",
            self.path,
        )

    # -- internals: load ---------------------------------------------------------------

    def _load_locked(self) -> StoreDocument:
        """A fresh parse, holding the lock; an unusable document is moved aside here."""
        try:
            return self._read_current(use_cache=False, locked=True)
        except _Unusable as problem:
            raise self._quarantine(problem) from None

    def _load_for_change(self) -> StoreDocument:
        """`_load_locked` as a private copy: the parse is also what `peek` shares, and a
        transaction that raises must leave no trace of its changes."""
        return self._load_locked().model_copy(deep=True)

    def _unchanged(self) -> StoreDocument | None:
        """The cached document when the path still names the very file it was parsed
        from: one ``lstat`` (a request peeks many times) instead of opening the file to
        look at it. Anything else (a link, another file, no file) takes the full way."""
        cached = self._cache
        if cached is None:
            return None
        try:
            st = os.lstat(self.path)
        except OSError:
            return None
        if stat.S_ISREG(st.st_mode) and _FileIdentity.of(st) == cached[0]:
            return cached[1]
        return None

    def _read_current(self, *, use_cache: bool, locked: bool) -> StoreDocument:
        try:
            fd, st = open_regular(self.path)
        except FileNotFoundError:
            self._cache = None
            report = self._read_quarantine()
            if report is not None:
                raise report from None
            return StoreDocument()
        except WrongFileType as refusal:
            raise _refused(refusal) from None
        except OSError as exc:
            raise self._unreadable(exc) from None
        with os.fdopen(fd, "rb") as handle:
            identity = _FileIdentity.of(st)
            if use_cache and self._cache is not None and self._cache[0] == identity:
                return self._cache[1]
            try:
                raw = handle.read()
            except OSError as exc:
                raise self._unreadable(exc) from None
        if stat.S_IMODE(st.st_mode) & ~PRIVATE_FILE_MODE:
            tighten_mode(self.path, PRIVATE_FILE_MODE)
        parsed = self._parsed
        if parsed is None or not parsed.came_from(raw):
            parsed = _Parse.of(raw, *self._parse(raw, locked=locked))
            self._parsed = parsed
        self._say_once(parsed.repairs)
        self._remember(identity, parsed.document)
        return parsed.document

    def _parse(self, raw: bytes, *, locked: bool) -> tuple[StoreDocument, Repairs]:
        try:
            data = parse_json(raw)
        except NestedTooDeeply as exc:
            raise _Unusable(exc.reason) from None
        except ValueError:
            raise _Unusable("not valid JSON") from None
        if not isinstance(data, dict):
            raise _Unusable("not a JSON object")
        if _looks_like_pi_multicodex(data):
            raise _Unusable("pi-multicodex format", foreign_format=PI_MULTICODEX_FORMAT)
        version = data.get("version")
        if version is None:
            raise _Unusable("it has no version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise _Unusable("its version is not a positive integer")
        if version > STORE_VERSION:
            raise StoreNewerVersionError(self.path, version, STORE_VERSION)
        try:
            document, repairs = salvage(data)
        except Unsalvageable as exc:
            raise _Unusable(f"it does not match the schema: {exc.reason}") from None
        if repairs.set_aside:
            if not locked:
                raise _NeedsLock
            repairs = repairs.kept_in(self._keep_aside(repairs.set_aside))
        forget_fields_set(document)
        return document, repairs

    def _keep_aside(self, accounts: tuple[SetAsideAccount, ...]) -> Path:
        """The side file holding ``accounts``, durable before any write could drop them."""
        try:
            return keep_aside(self.path, accounts)
        except OSError as exc:
            raise StoreUnreadableError(
                f"{self.path} holds accounts that cannot be used, and they could not be kept "
                f"aside in {self.home}: {exc.strerror or type(exc).__name__}",
                self.path,
            ) from None

    def _say_once(self, repairs: Repairs) -> None:
        """Log each repair the first time this process finds it."""
        each: list[FieldFallback | SetAsideAccount] = [*repairs.fallbacks, *repairs.set_aside]
        for repair in each:
            with self._found_lock:
                if repair in self._found:
                    continue
                self._found.append(repair)
            repair_log.warning("%s: %s", self.path, describe(repair))

    def _read_quarantine(self) -> StoreCorruptError | None:
        try:
            marker = parse_json(read_regular(self.quarantine_path))
        except FileNotFoundError:
            return None
        except WrongFileType as refusal:
            raise _refused(refusal) from None
        except (OSError, ValueError):
            marker = {}
        if not isinstance(marker, dict):
            marker = {}
        return StoreCorruptError(
            self.path,
            Path(str(marker.get("moved_to", "(unknown)"))),
            str(marker.get("reason", "unknown")),
            marker.get("foreign_format") if isinstance(marker.get("foreign_format"), str) else None,
        )

    def _quarantine(self, problem: _Unusable) -> StoreCorruptError:
        """Move the unusable document aside and leave a marker every process will see."""
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kind = problem.foreign_format or "corrupt"
        moved_to = self.path.with_name(f"{self.path.name}.{kind}-{stamp}")
        suffix = 1
        while os.path.lexists(moved_to):
            moved_to = self.path.with_name(f"{self.path.name}.{kind}-{stamp}-{suffix}")
            suffix += 1
        marker = {
            "moved_to": str(moved_to),
            "reason": problem.reason,
            "foreign_format": problem.foreign_format,
            "at": time.time(),
        }
        # The marker first: a process reading without the lock that finds the document
        # gone must find why, not take the pool for an empty one.
        write_private(self.quarantine_path, json.dumps(marker, indent=2).encode())
        try:
            os.rename(self.path, moved_to)
        except OSError:
            with contextlib.suppress(OSError):
                self.quarantine_path.unlink()
            raise
        tighten_mode(moved_to, PRIVATE_FILE_MODE)
        self._cache = None
        report = StoreCorruptError(self.path, moved_to, problem.reason, problem.foreign_format)
        quarantine_log.warning("%s", report)
        return report

    def _unreadable(self, exc: OSError) -> StoreUnreadableError:
        return StoreUnreadableError(f"cannot read {self.path}: {exc.strerror}", self.path)

    # -- internals: write --------------------------------------------------------------

    def _write_locked(self, document: StoreDocument) -> None:
        payload: dict[str, Any] = {
            "$schema": SCHEMA_REF,
            **document.model_dump(mode="json", warnings=False),
        }
        payload["version"] = STORE_VERSION
        try:
            validated = StoreDocument.model_validate(payload)
        except ValidationError as exc:
            raise StoreInvalidDocument(
                f"refused to write {self.path}: {summarise(exc)}", self.path
            ) from None
        data = (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
        remove_stale_temps(self.path)  # we hold the lock: no other writer is mid-write
        write_private(self.path, data)
        with contextlib.suppress(FileNotFoundError):
            self.quarantine_path.unlink()
        forget_fields_set(validated)
        self._parsed = _Parse.of(data, validated, Repairs())
        self._remember(_FileIdentity.of(os.stat(self.path)), validated)

    def _remember(self, identity: _FileIdentity, document: StoreDocument) -> None:
        """Cache the parse only once the file is old enough for its identity to be unique.

        Timestamps are coarse: two writes within one clock tick can produce files with the
        same mtime, and the second may reuse the first one's freed inode and have the same
        size. Any file written after the tick has passed gets a later mtime, so an identity
        observed well after its mtime can never match a different, newer file.
        """
        settled = time.time_ns() - identity.mtime_ns > _SETTLED_NS
        self._cache = (identity, document) if settled else None

    def _write_schema_if_changed(self) -> None:
        schema = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"multicodex-accounts-v{STORE_VERSION}",
            **StoreDocument.model_json_schema(),
        }
        data = (json.dumps(schema, indent=2) + "\n").encode("utf-8")
        remove_stale_temps(self.schema_path, older_than=60.0)
        try:
            if read_regular(self.schema_path) == data:
                return
        except WrongFileType as refusal:
            # Only a convenience for editors: say so, but let the store work without it.
            log.warning("%s The JSON Schema file was not written.", _refused(refusal))
            return
        except OSError:
            pass
        write_private(self.schema_path, data)


class _LockHolder:
    """Runs file work in a worker thread while a coroutine holds the store lock.

    If the coroutine is cancelled while that work is still running, the lock is released
    only once the work has finished, so no write ever happens outside the lock.
    """

    def __init__(self, release: Callable[[], None]) -> None:
        self._release = release
        self._pending: asyncio.Future[Any] | None = None

    async def run(self, fn: Callable[..., _T], *args: Any) -> _T:
        future = asyncio.ensure_future(asyncio.to_thread(fn, *args))
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            if not future.done():
                self._pending = future
            raise

    def release(self) -> None:
        pending = self._pending
        if pending is None or pending.done():
            self._release()
            return

        def release_after(done: asyncio.Future[Any]) -> None:
            if not done.cancelled() and done.exception() is not None:
                log.warning("store work interrupted by cancellation failed: %s", done.exception())
            self._release()

        pending.add_done_callback(release_after)


def _refused(refusal: WrongFileType) -> StoreFileRefused:
    return StoreFileRefused(refusal.path, refusal.kind, refusal.target)


def _looks_like_pi_multicodex(data: dict[str, Any]) -> bool:
    """pi-multicodex's codex-accounts.json: camelCase token fields on each account."""
    accounts = data.get("accounts")
    if data.get("version", 1) != 1 or not isinstance(accounts, list):
        return False
    return any(
        isinstance(item, dict) and ("accessToken" in item or "refreshToken" in item)
        for item in accounts
    )
