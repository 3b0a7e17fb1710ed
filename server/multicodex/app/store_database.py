"""What ``paths`` and ``verify`` say of a store kept in a PostgreSQL database: its URL
(never the password), the schema version, where the key comes from, and the store lock,
instead of the file store's files. The driver is loaded only for a database store."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from multicodex.protocol import StoreDatabaseInfo, VerifyCheck
from multicodex.store.backend import StoreBackend
from multicodex.store.errors import StoreError
from multicodex.store.opening import is_database_url

if TYPE_CHECKING:
    from multicodex.store.postgres.store import PostgresStore


def database_of(store: StoreBackend) -> PostgresStore | None:
    if not is_database_url(store.location):
        return None
    from multicodex.store.postgres.store import PostgresStore

    return store if isinstance(store, PostgresStore) else None


def database_info(database: PostgresStore) -> StoreDatabaseInfo:
    from multicodex.store.postgres.migrations import SCHEMA_VERSION

    ring = database.keyring
    return StoreDatabaseInfo(
        url=database.location,
        schema_version=database.schema_version,
        supported_schema_version=SCHEMA_VERSION,
        key_source=ring.source if ring is not None else None,
        key_id=ring.current.id if ring is not None else None,
    )


def database_checks(database: PostgresStore, accounts: int | None) -> list[VerifyCheck]:
    """The database reached, its schema, the key and the store lock (blocking: run it in
    a thread). ``accounts``: how many were read (the tokens opened), None when the store
    could not be read."""
    info = database_info(database)
    return [
        _schema_check(info),
        _key_check(info, accounts),
        _lock_check(database),
    ]


def _schema_check(info: StoreDatabaseInfo) -> VerifyCheck:
    found, ours = info.schema_version, info.supported_schema_version
    detail = f"{info.url}, schema version {found} (this MultiCodex: {ours})"
    if found == 0:
        detail += "; not created yet (a login, an import or `store migrate` creates it)"
    return VerifyCheck(name="store_database", label="store database", status="pass", detail=detail)


def _key_check(info: StoreDatabaseInfo, accounts: int | None) -> VerifyCheck:
    if info.key_id is None:
        return VerifyCheck(
            name="store_key", label="encryption key", status="fail", detail="no key is set"
        )
    detail = f"{info.key_id} from {info.key_source}"
    if accounts is not None:
        detail += f"; every token opens ({accounts} account(s))"
    status = "pass" if accounts is not None else "fail"
    return VerifyCheck(name="store_key", label="encryption key", status=status, detail=detail)


def _lock_check(database: PostgresStore) -> VerifyCheck:
    if not database.exists:
        return VerifyCheck(
            name="store_lock", label="store lock", status="pass", detail="not created yet"
        )
    started = time.monotonic()
    try:
        database.take_lock_once()
    except StoreError as exc:
        detail = " ".join(str(exc).split())
        return VerifyCheck(name="store_lock", label="store lock", status="fail", detail=detail)
    taken = round((time.monotonic() - started) * 1000)
    return VerifyCheck(
        name="store_lock",
        label="store lock",
        status="pass",
        detail=f"taken and released in {taken} ms (the database's advisory lock)",
    )
