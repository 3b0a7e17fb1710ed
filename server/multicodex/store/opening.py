"""Which store to open: the store setting (``--store``, the ``store`` initialization
option, else ``MULTICODEX_STORE``) is a directory, today's file store and the default, or a
``postgresql://`` URL. With a URL the home directory (``--home``, ``MULTICODEX_HOME``, else
the platform default) still keeps what belongs to this machine."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from multicodex.store.backend import StoreBackend
from multicodex.store.document import DEFAULT_LOCK_TIMEOUT, Store
from multicodex.store.paths import resolve_home

STORE_ENV = "MULTICODEX_STORE"
DATABASE_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(value: str | None) -> bool:
    return bool(value) and str(value).strip().lower().startswith(DATABASE_SCHEMES)


def chosen_store(store: str | None, env: Mapping[str, str]) -> str | None:
    """The store setting in force: the explicit one, else ``MULTICODEX_STORE``."""
    if store is not None and store.strip():
        return store.strip()
    configured = env.get(STORE_ENV, "").strip()
    return configured or None


def open_store(
    home: Path | str | None = None,
    store: str | None = None,
    *,
    env: Mapping[str, str] | None = None,
    create: bool = True,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
) -> StoreBackend:
    """The store the settings name (see the module). A database is imported only when
    one is named: the file store never loads the driver."""
    environ = os.environ if env is None else env
    setting = chosen_store(store, environ)
    if setting is not None and is_database_url(setting):
        from multicodex.store.postgres.store import PostgresStore

        return PostgresStore.open(
            setting,
            home=resolve_home(home, environ),
            env=environ,
            create=create,
            lock_timeout=lock_timeout,
        )
    return Store.open(setting or home, env=environ, create=create, lock_timeout=lock_timeout)
