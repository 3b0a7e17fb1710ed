"""The usage history in the database of a PostgreSQL store: every machine on the database
records into the same tables and reads everyone's rows; the thresholds announced are
shared as well (a notice told on one machine is not told again on another).

One connection per process, used by one thread at a time, opened again after a failure.
A database that cannot be used now loses the write or answers empty, with one warning
(the store itself says what is wrong); nothing here raises. The tables come with the
store's schema (migration 3); a database MultiCodex never created reads as empty.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Sequence
from typing import TypeVar

import psycopg
from psycopg import errors

from multicodex.history.backend import (
    COMPACT_EVERY_SECONDS,
    RETENTION_SECONDS,
    NotifiedKey,
)
from multicodex.history.observations import Observation

log = logging.getLogger(__name__)

T = TypeVar("T")

_INSERT = (
    "INSERT INTO multicodex.usage_observations (at, account, bucket, window_name, "
    "window_seconds, used_percent, resets_at, source) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
)
_SELECT = (
    "SELECT at, account, bucket, window_name, window_seconds, used_percent, resets_at, source "
    "FROM multicodex.usage_observations WHERE at >= %s"
)
_OF_ACCOUNT = " AND account = %s"
_IN_ORDER = " ORDER BY at, id"


class PostgresHistory:
    def __init__(self, conninfo: str, location: str, clock: Callable[[], float]) -> None:
        self._conninfo = conninfo
        self.location = location
        """The database for people: its URL without the password."""
        self._clock = clock
        self._conn: psycopg.Connection | None = None
        self._lock = threading.Lock()
        self._warned = False
        self._compacted_at = -COMPACT_EVERY_SECONDS
        self.before_read: Callable[[], object] | None = None

    # -- observations --------------------------------------------------------------------

    def add(self, rows: Sequence[Observation]) -> bool:
        if not rows:
            return True
        return self._safely(lambda conn: self._insert(conn, rows), fallback=False)

    def observations(self, since: float, account: str | None = None) -> list[Observation]:
        if self.before_read is not None:
            self.before_read()
        return self._safely(lambda conn: _select(conn, since, account), fallback=[])

    def compact(self) -> None:
        self._safely(self._compact, fallback=None)

    # -- thresholds announced ------------------------------------------------------------

    def notified(self) -> dict[NotifiedKey, float | None]:
        rows: list[tuple[str, str, int, float | None]] = self._safely(
            lambda conn: conn.execute(
                "SELECT scope, window_name, threshold, resets_at FROM multicodex.usage_notified"
            ).fetchall(),
            fallback=[],
        )
        return {NotifiedKey(r[0], r[1], int(r[2])): r[3] for r in rows}

    def set_notified(
        self, announced: dict[NotifiedKey, float | None], rearmed: Sequence[NotifiedKey]
    ) -> None:
        def write(conn: psycopg.Connection) -> None:
            with conn.cursor() as cursor:
                if rearmed:
                    cursor.executemany(
                        "DELETE FROM multicodex.usage_notified "
                        "WHERE scope = %s AND window_name = %s AND threshold = %s",
                        [(k.scope, k.window, k.threshold) for k in rearmed],
                    )
                if announced:
                    cursor.executemany(
                        "INSERT INTO multicodex.usage_notified "
                        "(scope, window_name, threshold, resets_at) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (scope, window_name, threshold) "
                        "DO UPDATE SET resets_at = EXCLUDED.resets_at",
                        [(k.scope, k.window, k.threshold, r) for k, r in announced.items()],
                    )

        self._safely(write, fallback=None)

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- connection, failures ------------------------------------------------------------

    def _insert(self, conn: psycopg.Connection, rows: Sequence[Observation]) -> bool:
        with conn.cursor() as cursor:
            cursor.executemany(
                _INSERT,
                [
                    (
                        r.at,
                        r.account,
                        r.bucket,
                        r.window,
                        r.window_seconds,
                        r.used_percent,
                        r.resets_at,
                        r.source,
                    )
                    for r in rows
                ],
            )
        if self._clock() - self._compacted_at >= COMPACT_EVERY_SECONDS:
            self._compact(conn)
        return True

    def _compact(self, conn: psycopg.Connection) -> None:
        now = self._clock()
        self._compacted_at = now
        conn.execute(
            "DELETE FROM multicodex.usage_observations WHERE at < %s", (now - RETENTION_SECONDS,)
        )

    def _safely(self, work: Callable[[psycopg.Connection], T], *, fallback: T) -> T:
        """``work`` in one transaction on this process's connection; a failure drops the
        connection (the next call opens another) and answers ``fallback``."""
        with self._lock:
            try:
                conn = self._connected()
                with conn.transaction():
                    return work(conn)
            except errors.UndefinedTable:
                return fallback  # a database MultiCodex never created: nothing recorded
            except psycopg.Error as exc:
                self._drop()
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                self._warn_once(f"usage history in {self.location} is unavailable: {first}")
                return fallback

    def _connected(self) -> psycopg.Connection:
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self._conninfo, autocommit=True)
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
        self._conn = None

    def _warn_once(self, message: str) -> None:
        """One warning per process: a database that stays away is not told of per write."""
        if not self._warned:
            self._warned = True
            log.warning("%s", message)


def _select(conn: psycopg.Connection, since: float, account: str | None) -> list[Observation]:
    if account is None:
        rows = conn.execute(_SELECT + _IN_ORDER, (since,)).fetchall()
    else:
        rows = conn.execute(_SELECT + _OF_ACCOUNT + _IN_ORDER, (since, account)).fetchall()
    return [
        Observation(
            at=r[0],
            account=r[1],
            bucket=r[2],
            window=r[3],
            window_seconds=int(r[4]),
            used_percent=r[5],
            resets_at=r[6],
            source=r[7],
        )
        for r in rows
    ]
