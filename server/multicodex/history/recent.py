"""The last observations of each window, kept in memory: what a request's pre-flight reads
(it never waits on the database). Fed by every observation this process makes, and
seeded from the database's rows whenever those are read anyway (other processes' too)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from multicodex.history.observations import Observation

KEPT_PER_WINDOW = 32

SeriesKey = tuple[str, str, str]
"""Account key, bucket, window name."""


class RecentObservations:
    def __init__(self, kept: int = KEPT_PER_WINDOW) -> None:
        self._kept = kept
        self._series: dict[SeriesKey, deque[Observation]] = {}

    def add(self, rows: Iterable[Observation]) -> None:
        """Observations made just now, newer than any kept."""
        for row in rows:
            self._of(_key(row)).append(row)

    def seed(self, rows: Iterable[Observation]) -> None:
        """Rows read from the database: merged with what is kept, oldest first, the
        newest ``kept`` of each window staying."""
        grouped: dict[SeriesKey, set[Observation]] = {}
        for row in rows:
            grouped.setdefault(_key(row), set()).add(row)
        for key, found in grouped.items():
            merged = sorted(found.union(self._of(key)), key=lambda o: o.at)
            self._series[key] = deque(merged[-self._kept :], maxlen=self._kept)

    def series(self, account: str, bucket: str, window: str) -> list[Observation]:
        """The kept observations of one window of one account, oldest first."""
        return list(self._series.get((account, bucket, window), ()))

    def _of(self, key: SeriesKey) -> deque[Observation]:
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = deque(maxlen=self._kept)
        return found


def _key(row: Observation) -> SeriesKey:
    return (row.account, row.bucket, row.window)
