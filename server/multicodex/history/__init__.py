"""Every usage observation, kept for a while in an SQLite database beside the store: the
history behind ``multicodex usage``, the editor's chart, the forecast and the threshold
notifications' memory."""

from multicodex.history.observations import Observation, observations_of
from multicodex.history.recent import RecentObservations
from multicodex.history.recorder import HistoryRecorder
from multicodex.history.store import (
    HISTORY_NAME,
    RETENTION_SECONDS,
    HistoryDatabase,
    NotifiedKey,
)

__all__ = [
    "HISTORY_NAME",
    "RETENTION_SECONDS",
    "HistoryDatabase",
    "HistoryRecorder",
    "NotifiedKey",
    "Observation",
    "RecentObservations",
    "observations_of",
]
