"""The history database: SQLite (WAL, a busy timeout) beside the store, 0600, shared by
every process on the store.

Each call opens its own connection, so any thread may call. A database SQLite cannot
read (corrupt, or not a database) is set aside under a timestamped name and started
afresh, with one warning; one held locked past the busy timeout loses that write or
answers empty, with one warning. Nothing here raises for either: the history is never a
reason for a completion or the footer to fail.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from multicodex.history.backend import COMPACT_EVERY_SECONDS, RETENTION_SECONDS, NotifiedKey
from multicodex.history.observations import Observation

if TYPE_CHECKING:
    import sqlite3

log = logging.getLogger(__name__)

HISTORY_NAME = "usage-history.sqlite3"
BUSY_TIMEOUT_MS = 5000
VACUUM_PAGES = 256
_SIDE_FILES = ("-wal", "-shm", "-journal")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS observations (
    at REAL NOT NULL,
    account TEXT NOT NULL,
    bucket TEXT NOT NULL,
    window TEXT NOT NULL,
    window_seconds INTEGER NOT NULL,
    used_percent REAL NOT NULL,
    resets_at REAL,
    source TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS observations_by_time ON observations (at);
CREATE TABLE IF NOT EXISTS notified (
    scope TEXT NOT NULL,
    window TEXT NOT NULL,
    threshold INTEGER NOT NULL,
    resets_at REAL,
    PRIMARY KEY (scope, window, threshold)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value REAL NOT NULL);
"""

T = TypeVar("T")


class HistoryDatabase:
    def __init__(self, path: Path, clock: Callable[[], float]) -> None:
        self.path = path
        self._clock = clock
        self._warned: set[str] = set()
        self._lock = threading.Lock()
        self._compacted_at = -COMPACT_EVERY_SECONDS
        self.before_read: Callable[[], object] | None = None
        """Called before observations are read (the recorder writes what it has queued)."""

    # -- observations --------------------------------------------------------------------

    def add(self, rows: Sequence[Observation]) -> bool:
        """Record ``rows``; False when they were lost (the database was locked)."""
        if not rows:
            return True
        return self._safely(lambda conn: self._insert(conn, rows), fallback=False)

    def observations(self, since: float, account: str | None = None) -> list[Observation]:
        """Rows from ``since`` on, oldest first, of one account or of all."""
        if self.before_read is not None:
            self.before_read()
        if not self.path.exists():
            return []  # nothing recorded yet; reading must not create the file
        return self._safely(lambda conn: _select(conn, since, account), fallback=[])

    def compact(self) -> None:
        """Delete rows older than the retention and give their pages back to the disk."""
        self._safely(self._compact, fallback=None)

    # -- thresholds announced ------------------------------------------------------------

    def notified(self) -> dict[NotifiedKey, float | None]:
        """Each threshold announced and not re-armed yet → the reset of its window then."""
        if not self.path.exists():
            return {}  # nothing announced yet; reading must not create the file
        rows: list[tuple[str, str, int, float | None]] = self._safely(
            lambda conn: conn.execute(
                "SELECT scope, window, threshold, resets_at FROM notified"
            ).fetchall(),
            fallback=[],
        )
        return {NotifiedKey(r[0], r[1], int(r[2])): r[3] for r in rows}

    def set_notified(
        self, announced: dict[NotifiedKey, float | None], rearmed: Sequence[NotifiedKey]
    ) -> None:
        def write(conn: sqlite3.Connection) -> None:
            with conn:
                conn.executemany(
                    "DELETE FROM notified WHERE scope = ? AND window = ? AND threshold = ?",
                    [(k.scope, k.window, k.threshold) for k in rearmed],
                )
                conn.executemany(
                    "INSERT OR REPLACE INTO notified VALUES (?, ?, ?, ?)",
                    [(k.scope, k.window, k.threshold, r) for k, r in announced.items()],
                )

        self._safely(write, fallback=None)

    # -- connection, failures ------------------------------------------------------------

    def _insert(self, conn: sqlite3.Connection, rows: Sequence[Observation]) -> bool:
        with conn:
            conn.executemany(
                "INSERT INTO observations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
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

    def _compact(self, conn: sqlite3.Connection) -> None:
        now = self._clock()
        self._compacted_at = now
        with conn:
            conn.execute("DELETE FROM observations WHERE at < ?", (now - RETENTION_SECONDS,))
        conn.execute(f"PRAGMA incremental_vacuum({VACUUM_PAGES})").fetchall()

    def _safely(self, work: Callable[[sqlite3.Connection], T], *, fallback: T) -> T:
        """``work`` on a fresh connection; a database that cannot be read is set aside
        and ``work`` runs once more on a new one."""
        import sqlite3  # the driver and its library load at the first read or write

        for attempt in range(2):
            try:
                with self._connected() as conn:
                    return work(conn)
            except sqlite3.OperationalError as exc:
                if _is_busy(exc):
                    self._warn_once("locked", f"usage history is locked, skipped: {exc}")
                    return fallback
                if attempt or not self._unreadable(exc):
                    self._warn_once("failed", f"usage history unavailable: {exc}")
                    return fallback
                self._set_aside(exc)
            except sqlite3.DatabaseError as exc:
                if attempt:
                    self._warn_once("failed", f"usage history unavailable: {exc}")
                    return fallback
                self._set_aside(exc)
            except OSError as exc:
                self._warn_once("failed", f"usage history unavailable: {exc}")
                return fallback
        return fallback

    @contextlib.contextmanager
    def _connected(self) -> Iterator[sqlite3.Connection]:
        import sqlite3

        _create_private(self.path)
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000)
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if conn.execute("PRAGMA auto_vacuum").fetchone()[0] == 0:
                conn.execute("PRAGMA auto_vacuum = INCREMENTAL")  # a new file: takes effect
            conn.execute("PRAGMA journal_mode = WAL").fetchone()
            conn.executescript(_SCHEMA)
            yield conn
        finally:
            conn.close()

    def _unreadable(self, exc: sqlite3.OperationalError) -> bool:
        """Disk I/O and malformed-schema errors are the file's fault, not a moment's."""
        text = str(exc).lower()
        return "malformed" in text or "not a database" in text or "disk i/o" in text

    def _set_aside(self, exc: sqlite3.DatabaseError) -> None:
        with self._lock:
            stamp = datetime.fromtimestamp(self._clock(), tz=UTC).strftime("%Y%m%dT%H%M%SZ")
            moved = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
            for suffix in ("", *_SIDE_FILES):
                with contextlib.suppress(FileNotFoundError):
                    os.replace(f"{self.path}{suffix}", f"{moved}{suffix}")
            self._compacted_at = -COMPACT_EVERY_SECONDS
        log.warning(
            "usage history could not be read (%s): moved it to %s and started afresh",
            exc,
            moved.name,
        )

    def _warn_once(self, kind: str, message: str) -> None:
        if kind not in self._warned:
            self._warned.add(kind)
            log.warning("%s", message)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _create_private(path: Path) -> None:
    """The file exists, readable by its owner only, before SQLite opens it (its -wal and
    -shm files take the same mode)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    os.close(fd)


def _select(conn: sqlite3.Connection, since: float, account: str | None) -> list[Observation]:
    query = "SELECT * FROM observations WHERE at >= ?"
    args: list[object] = [since]
    if account is not None:
        query += " AND account = ?"
        args.append(account)
    rows = conn.execute(query + " ORDER BY at, rowid", args).fetchall()
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
