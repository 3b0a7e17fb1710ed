"""What the recorder, the forecasts and the threshold notices need from a usage history,
whatever keeps it: an SQLite file beside a file store (`HistoryDatabase`), or tables in
the database of a PostgreSQL store (`PostgresHistory`), shared by every machine on it.

Neither raises: a history that cannot be used loses the write or answers empty, with one
warning, and is never a reason for a completion or the footer to fail.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from multicodex.history.observations import Observation

RETENTION_SECONDS = 35 * 24 * 3600
COMPACT_EVERY_SECONDS = 3600.0
"""How often a process deletes rows past the retention."""


@dataclass(frozen=True)
class NotifiedKey:
    """A threshold already announced: for whom (an account key, or ``pool``), which
    window and which threshold."""

    scope: str
    window: str
    threshold: int


class HistoryBackend(Protocol):
    before_read: Callable[[], object] | None
    """Called before observations are read (the recorder writes what it has queued)."""

    def add(self, rows: Sequence[Observation]) -> bool:
        """Record ``rows``; False when they were lost."""
        ...

    def observations(self, since: float, account: str | None = None) -> list[Observation]:
        """Rows from ``since`` on, oldest first, of one account or of all."""
        ...

    def compact(self) -> None:
        """Delete rows older than the retention."""
        ...

    def notified(self) -> dict[NotifiedKey, float | None]:
        """Each threshold announced and not re-armed yet → the reset of its window then."""
        ...

    def set_notified(
        self, announced: dict[NotifiedKey, float | None], rearmed: Sequence[NotifiedKey]
    ) -> None: ...
