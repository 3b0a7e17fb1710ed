"""``verify`` (runtime health checks) and ``paths`` (where everything is)."""

from __future__ import annotations

import asyncio
import os
import stat
import time
from collections.abc import Mapping
from dataclasses import dataclass

import httpx2
from filelock import FileLock, Timeout

from multicodex.app.importing import describe_sources
from multicodex.app.reachability import reach_checks
from multicodex.app.recovery import corrupt_check_detail
from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.store_database import database_checks, database_info, database_of
from multicodex.app.store_repairs import repairs_check
from multicodex.config import Endpoints
from multicodex.protocol import (
    AccountRef,
    CheckStatus,
    ImportSourceInfo,
    PathsResult,
    VerifyCheck,
    VerifyResult,
)
from multicodex.store.backend import StoreBackend
from multicodex.store.errors import StoreCorruptError, StoreError
from multicodex.store.files import refuse_non_regular
from multicodex.store.schema import STORE_VERSION

LOCK_PROBE_SECONDS = 10.0
_LOCK_POLL_SECONDS = 0.01
UNUSABLE_STORE = "unknown (the store is unusable)"


async def paths(store: StoreBackend, endpoints: Endpoints, env: Mapping[str, str]) -> PathsResult:
    database = database_of(store)
    return PathsResult(
        home=str(store.home),
        store_file=str(store.path),
        lock_file=str(store.lock_path),
        schema_file=str(store.schema_path),
        quarantine_file=str(store.quarantine_path),
        import_sources=await asyncio.to_thread(describe_sources, env),
        auth_url=endpoints.auth_url,
        backend_url=endpoints.backend_url,
        database=database_info(database) if database is not None else None,
    )


async def verify(
    store: StoreBackend,
    snapshot: PoolSnapshot | StoreError,
    endpoints: Endpoints,
    env: Mapping[str, str],
    http: httpx2.AsyncClient,
) -> VerifyResult:
    """The health checks over ``snapshot``, or over a store that cannot be used (the
    error): then the store check fails and says why and what to do (how to recover, for a
    document moved aside as corrupt), and every other check still runs."""
    sources = await asyncio.to_thread(describe_sources, env)
    reachable = await reach_checks(http, endpoints)
    checks = [
        *await _store_checks(store, snapshot),
        *_account_checks(snapshot),
        _check("import_sources", "import sources found", True, _found(sources)),
        _check("endpoints", "endpoints", True, f"{endpoints.auth_url}, {endpoints.backend_url}"),
        *reachable,
    ]
    status = _overall(checks)
    storage = "ok" if checks[0].status == checks[1].status == "pass" else "fail"
    pool = _PoolFacts.of(snapshot)
    return VerifyResult(
        status=status,
        checks=checks,
        accounts=pool.accounts,
        active=pool.active,
        needs_reauth=pool.needs_reauth,
        import_sources=sources,
        summary_line=f"verify: {status.upper()} storage={storage} accounts={pool.accounts} "
        f"active={pool.active_name} needsReauth={pool.needs_reauth}",
    )


async def _store_checks(
    store: StoreBackend, snapshot: PoolSnapshot | StoreError
) -> list[VerifyCheck]:
    """The file store's directory, document and lock; a database's connection and schema,
    key and lock (a store that could not be read says why after them)."""
    database = database_of(store)
    if database is None:
        return [
            _check("store_directory", "storage directory writable", *_directory_state(store)),
            await _document_check(store, snapshot),
            await asyncio.to_thread(repairs_check, store),
            _check("store_lock", "store lock", *await _lock_state(store)),
        ]
    accounts = None if isinstance(snapshot, StoreError) else len(snapshot.accounts)
    checks = await asyncio.to_thread(database_checks, database, accounts)
    if isinstance(snapshot, StoreError):
        checks.append(await _document_check(store, snapshot))
    return checks


@dataclass(frozen=True)
class _PoolFacts:
    """The counts verify reports (all zero when the store is unusable)."""

    accounts: int = 0
    active: AccountRef | None = None
    active_name: str = "none"
    needs_reauth: int = 0

    @classmethod
    def of(cls, snapshot: PoolSnapshot | StoreError) -> _PoolFacts:
        if isinstance(snapshot, StoreError):
            return cls()
        active = snapshot.active_account()
        if active is None:
            return cls(len(snapshot.accounts), needs_reauth=len(snapshot.needs_reauth()))
        return cls(
            accounts=len(snapshot.accounts),
            active=snapshot.refs().get(active.key),
            active_name=active.email or active.display_name,
            needs_reauth=len(snapshot.needs_reauth()),
        )


async def _document_check(store: StoreBackend, snapshot: PoolSnapshot | StoreError) -> VerifyCheck:
    if isinstance(snapshot, StoreError):
        detail = (
            corrupt_check_detail(snapshot)
            if isinstance(snapshot, StoreCorruptError)
            else " ".join(str(snapshot).split())
        )
        return VerifyCheck(name="store_file", label="store document", status="fail", detail=detail)
    return _check("store_file", "store document", *await asyncio.to_thread(_document_state, store))


def _account_checks(snapshot: PoolSnapshot | StoreError) -> list[VerifyCheck]:
    if isinstance(snapshot, StoreError):
        return [
            _check("accounts", "accounts", False, UNUSABLE_STORE),
            _check("active_account", "active account", False, UNUSABLE_STORE),
            _check("needs_reauth", "accounts needing re-authentication", False, UNUSABLE_STORE),
        ]
    active = snapshot.active_account()
    reauth = snapshot.needs_reauth()
    return [
        _check("accounts", "accounts", bool(snapshot.accounts), str(len(snapshot.accounts))),
        _check(
            "active_account",
            "active account",
            active is not None,
            active.display_name if active is not None else "none",
        ),
        _check(
            "needs_reauth",
            "accounts needing re-authentication",
            not reauth,
            _named_count(len(reauth), [a.display_name for a in reauth]),
        ),
    ]


def _overall(checks: list[VerifyCheck]) -> CheckStatus:
    statuses = {check.status for check in checks}
    if "fail" in statuses:
        return "fail"
    return "warn" if "warn" in statuses else "pass"


def _check(name: str, label: str, ok: bool, detail: str) -> VerifyCheck:
    return VerifyCheck(name=name, label=label, status="pass" if ok else "warn", detail=detail)


def _directory_state(store: StoreBackend) -> tuple[bool, str]:
    if not store.exists:
        parent = next(p for p in store.home.parents if p.is_dir())
        creatable = os.access(parent, os.W_OK | os.X_OK)
        return creatable, (
            f"{store.home} not created yet (a login or an import creates it)"
            if creatable
            else f"{store.home} does not exist and cannot be created ({parent} is not writable)"
        )
    writable = os.access(store.home, os.W_OK | os.X_OK)
    return writable, "yes" if writable else "no"


def _document_state(store: StoreBackend) -> tuple[bool, str]:
    """The document was read already (a corrupt one fails the request); report its mode."""
    try:
        mode = stat.S_IMODE(store.path.stat().st_mode)
    except FileNotFoundError:
        return True, "not created yet (no account saved)"
    except OSError as exc:
        return False, f"cannot be inspected: {exc.strerror}"
    private = mode & 0o077 == 0
    return private, f"valid, version {STORE_VERSION}, mode {mode:04o}"


async def _lock_state(store: StoreBackend) -> tuple[bool, str]:
    """How long the cross-process lock takes to get (never held while writing)."""
    if not store.exists:  # taking it would create the directory
        return True, "not created yet"
    wrong = refuse_non_regular(store.lock_path)
    if wrong is not None:
        return False, f"{wrong.kind} is at its path; remove or rename it"
    lock = FileLock(store.lock_path, mode=0o600, thread_local=False)
    started = time.monotonic()
    while True:
        try:
            lock.acquire(blocking=False)
            break
        except Timeout:
            if time.monotonic() - started > LOCK_PROBE_SECONDS:
                return False, f"held by another process for more than {LOCK_PROBE_SECONDS:g} s"
            await asyncio.sleep(_LOCK_POLL_SECONDS)
        except OSError as exc:
            return False, f"cannot be taken: {exc.strerror}"
    lock.release()
    return True, f"acquired in {round((time.monotonic() - started) * 1000)} ms"


def _named_count(count: int, names: list[str]) -> str:
    return f"{count} ({', '.join(names)})" if count else "0"


def _found(sources: list[ImportSourceInfo]) -> str:
    kinds = [s.kind for s in sources if s.exists]
    return ", ".join(kinds) if kinds else "none"
