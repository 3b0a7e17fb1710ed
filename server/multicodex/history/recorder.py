"""Observations written off the event loop: `observe` only queues them; one background
thread per process writes what has queued up, in one transaction per batch.

The thread waits ``BATCH_SECONDS`` after the first observation of a batch before it writes:
a completion's observation is made as its answer starts, and the write (SQLite's
connection setup, the insert and its commit, much of it holding the GIL) must not compete
with the answer's first bytes, nor run once per completion when many are under way.
Reading the database (`HistoryDatabase.observations`) first waits for what is queued."""

from __future__ import annotations

import atexit
import logging
import threading

from multicodex.history.backend import HistoryBackend
from multicodex.history.observations import Observation, observations_of
from multicodex.history.recent import RecentObservations
from multicodex.model import UsageSnapshot

log = logging.getLogger(__name__)

FLUSH_AT_EXIT_SECONDS = 2.0
BATCH_SECONDS = 0.25


class HistoryRecorder:
    def __init__(self, database: HistoryBackend) -> None:
        self.database = database
        self.recent = RecentObservations()
        """What this process observed last, for reads that must not wait on the database."""
        self._pending: list[Observation] = []
        self._queued = 0
        self._written = 0
        self._flushing = 0
        """How many callers of `flush` wait: the batch is written at once for them."""
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        database.before_read = self.flush

    def observe(self, account: str, snapshot: UsageSnapshot) -> None:
        """Queue every window of ``snapshot``; returns at once."""
        rows = observations_of(account, snapshot)
        if not rows:
            return
        self.recent.add(rows)
        with self._changed:
            first = not self._pending
            self._pending.extend(rows)
            self._queued += len(rows)
            self._start_writer()
            if first:  # the writer waits for the batch's first row, then lingers
                self._changed.notify_all()

    def flush(self, timeout: float = FLUSH_AT_EXIT_SECONDS) -> bool:
        """Wait until everything queued so far is written (or lost); False on timeout."""
        with self._changed:
            target = self._queued
            if self._written >= target:
                return True
            self._flushing += 1
            self._changed.notify_all()
            try:
                return self._changed.wait_for(lambda: self._written >= target, timeout)
            finally:
                self._flushing -= 1

    def _start_writer(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._write_forever, name="usage-history", daemon=True
            )
            self._thread.start()
            atexit.register(self.flush)

    def _write_forever(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: bool(self._pending))
                self._changed.wait_for(lambda: self._flushing > 0, BATCH_SECONDS)
                batch, self._pending = self._pending, []
            try:
                self.database.add(batch)
            except Exception:  # the history must never take the process down
                log.exception("usage history write failed")
            with self._changed:
                self._written += len(batch)
                self._changed.notify_all()
