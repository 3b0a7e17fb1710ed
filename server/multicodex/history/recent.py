"""The last observations of each window, kept in memory: what a request's pre-flight reads
(it never waits on the database). Fed by every observation this process makes, and
seeded from the database's rows whenever those are read anyway (other processes' too)."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from multicodex.history.observations import Observation

KEPT_PER_WINDOW = 32

SeriesKey = tuple[str, str, str]
"""Account key, bucket, window name."""
T = TypeVar("T")


class RecentObservations:
    def __init__(self, kept: int = KEPT_PER_WINDOW) -> None:
        self._kept = kept
        self._series: dict[SeriesKey, deque[Observation]] = {}
        self._summaries: dict[SeriesKey, dict[Callable[..., Any], Any]] = {}
        """What `summary` worked out from each series since it last changed."""

    def add(self, rows: Iterable[Observation]) -> None:
        """Observations made just now, newer than any kept."""
        for row in rows:
            key = _key(row)
            self._of(key).append(row)
            self._summaries.pop(key, None)

    def seed(self, rows: Iterable[Observation]) -> None:
        """Rows read from the database: merged with what is kept, oldest first, the
        newest ``kept`` of each window staying."""
        grouped: dict[SeriesKey, set[Observation]] = {}
        for row in rows:
            grouped.setdefault(_key(row), set()).add(row)
        for key, found in grouped.items():
            merged = sorted(found.union(self._of(key)), key=lambda o: o.at)
            self._series[key] = deque(merged[-self._kept :], maxlen=self._kept)
            self._summaries.pop(key, None)

    def series(self, account: str, bucket: str, window: str) -> list[Observation]:
        """The kept observations of one window of one account, oldest first."""
        return list(self._series.get((account, bucket, window), ()))

    def summary(
        self, account: str, bucket: str, window: str, summarise: Callable[[list[Observation]], T]
    ) -> T:
        """``summarise(series(...))``, worked out once per change of that series: every
        request's pre-flight asks for the same few, and they change only when an answer
        or a usage fetch adds an observation."""
        key = (account, bucket, window)
        known = self._summaries.setdefault(key, {})
        if summarise not in known:
            known[summarise] = summarise(self.series(account, bucket, window))
        result: T = known[summarise]
        return result

    def _of(self, key: SeriesKey) -> deque[Observation]:
        found = self._series.get(key)
        if found is None:
            found = self._series[key] = deque(maxlen=self._kept)
        return found


def _key(row: Observation) -> SeriesKey:
    return (row.account, row.bucket, row.window)
