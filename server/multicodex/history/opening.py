"""Which usage history a store has: tables in its database for a PostgreSQL store (shared
by every machine on it), else an SQLite file in its home directory."""

from __future__ import annotations

from collections.abc import Callable

from multicodex.history.backend import HistoryBackend
from multicodex.history.store import HISTORY_NAME, HistoryDatabase
from multicodex.store.backend import StoreBackend
from multicodex.store.opening import is_database_url


def open_history(store: StoreBackend, clock: Callable[[], float]) -> HistoryBackend:
    """The history beside ``store``. The database driver is loaded only for a database
    store; nothing is connected to until the first read or write."""
    if is_database_url(store.location):
        from multicodex.history.postgres import PostgresHistory
        from multicodex.store.postgres.store import PostgresStore
        from multicodex.store.postgres.urls import connection_parameters

        if isinstance(store, PostgresStore):
            params = connection_parameters(store.url, store.home)
            return PostgresHistory(params, store.location, clock)
    return HistoryDatabase(store.home / HISTORY_NAME, clock)
