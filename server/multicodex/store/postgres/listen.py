"""Hearing other machines' changes at once: every write of the document bumps the
revision and sends it on `CHANNEL` (``pg_notify`` inside the writing transaction, so it
is delivered on commit); a `ChangeListener` keeps one connection listening in a thread of
its own and calls back with each revision heard.

A dropped connection (the database restarted, the network went away) is connected again
after a pause that doubles up to `MAX_BACKOFF_SECONDS`; once listening again it calls back
with no revision, since changes made meanwhile were not heard.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable

import psycopg

log = logging.getLogger(__name__)

CHANNEL = "multicodex_changes"
FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
WAKE_SECONDS = 0.5
"""How often the thread looks whether it was asked to stop."""

Heard = Callable[[int | None], None]
"""Called with the revision heard, or None after a reconnection (anything may have changed)."""


class ChangeListener:
    def __init__(self, params: str, heard: Heard) -> None:
        self._params = params
        self._heard = heard
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="multicodex-listen", daemon=True)
        self._conn: psycopg.Connection | None = None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(timeout=WAKE_SECONDS * 4)

    def _run(self) -> None:
        backoff = FIRST_BACKOFF_SECONDS
        reconnecting = False
        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._params, autocommit=True) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    backoff = FIRST_BACKOFF_SECONDS
                    if reconnecting:
                        self._tell(None)
                    self._listen(conn)
            except (psycopg.Error, OSError) as exc:
                if self._stopping.is_set():
                    return
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                log.warning(
                    "not hearing other machines' changes (%s); listening again in %.1f s",
                    first,
                    backoff,
                )
            reconnecting = True
            self._stopping.wait(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    def _listen(self, conn: psycopg.Connection) -> None:
        """Until asked to stop; a connection the server closed raises from the wait."""
        while not self._stopping.is_set():
            for notice in conn.notifies(timeout=WAKE_SECONDS):
                self._tell(_revision(notice.payload))

    def _tell(self, revision: int | None) -> None:
        try:
            self._heard(revision)
        except Exception:  # a broken callback must not stop the listening
            log.exception("store change callback failed")


def _revision(payload: str) -> int | None:
    with contextlib.suppress(ValueError):
        return int(payload)
    return None
