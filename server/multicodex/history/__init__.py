"""Every usage observation, kept for a while: the history behind ``multicodex usage``, the
editor's chart, the forecast and the threshold notifications' memory. An SQLite database
beside a file store, tables in the database of a PostgreSQL store (see `open_history`)."""

from multicodex.history.backend import RETENTION_SECONDS, HistoryBackend, NotifiedKey
from multicodex.history.observations import Observation, observations_of
from multicodex.history.opening import open_history
from multicodex.history.recent import RecentObservations
from multicodex.history.recorder import HistoryRecorder
from multicodex.history.store import HISTORY_NAME, HistoryDatabase

__all__ = [
    "HISTORY_NAME",
    "RETENTION_SECONDS",
    "HistoryBackend",
    "HistoryDatabase",
    "HistoryRecorder",
    "NotifiedKey",
    "Observation",
    "RecentObservations",
    "observations_of",
    "open_history",
]
