"""How fast each window is being used, and when the pool runs out at this pace.

Pure: ``now`` is always a parameter and the history comes in as observations. A window's
history is cut at each reset (its use drops, or its reset moves on), so only the current
window's rise counts. The rate is the rise over a recent stretch (a fifth of the window,
at least half an hour), which keeps bursts and pauses in proportion; its uncertainty is
the spread of the rates of that stretch's thirds. Forecast times are said to five minutes
with a range, never to the second.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from multicodex.history import Observation
from multicodex.timefmt import clock_time, countdown

HOUR = 3600.0
MIN_LOOKBACK_SECONDS = 30 * 60.0
MIN_SPAN_FRACTION = 1 / 6
"""Less history than this share of the stretch is not enough to say a rate."""
RESET_DROP_PERCENT = 0.5
RESET_MOVE_SECONDS = 600.0
CHUNKS = 3
MIN_RELATIVE_SPREAD = 0.1
"""A rate is never claimed to better than ±10 %."""
ROUND_TO_SECONDS = 300.0

ForecastKind = Literal["not_enough_data", "lasts_until_reset", "runs_out"]


@dataclass(frozen=True)
class BurnRate:
    """Percentage points of a window used per hour, with a plausible range."""

    per_hour: float
    low: float
    high: float


@dataclass(frozen=True)
class Forecast:
    window: str
    kind: ForecastKind
    rate: BurnRate | None
    """The pool's: the sum of its accounts' rates."""
    left_percent: float
    """Percentage points left across the accounts (300 for three untouched accounts)."""
    next_reset: float | None
    """The first moment one of the accounts gets this window back."""
    runs_out_at: float | None = None
    earliest: float | None = None
    latest: float | None = None
    """The range ``runs_out_at`` lies in, from the rate's range."""

    def text(self, now: float) -> str:
        """``at this pace the pool lasts until the 5h reset (14:00 UTC)`` or ``... runs out
        around 16:40 UTC (16:20 to 17:05 UTC), 55m before the next 5h reset``."""
        if self.kind == "not_enough_data":
            return f"{self.window}: not enough history for a forecast yet"
        if self.kind == "lasts_until_reset" or self.runs_out_at is None:
            when = f" ({clock_time(self.next_reset, now)})" if self.next_reset else ""
            return f"at this pace the pool lasts until the {self.window} reset{when}"
        text = f"at this pace the pool runs out around {_rounded_clock(self.runs_out_at, now)}"
        if self.earliest is not None and self.latest is not None:
            low = _rounded_clock(self.earliest, now).removesuffix(" UTC")
            high = _rounded_clock(self.latest, now) if math.isfinite(self.latest) else "later"
            text += f" ({low} to {high})"
        if self.next_reset is not None:
            ahead = _rounded(self.next_reset - self.runs_out_at)
            text += f", {countdown(ahead)} before the next {self.window} reset"
        return text


def current_window(series: Sequence[Observation]) -> list[Observation]:
    """The observations since the window last reset (oldest first)."""
    ordered = sorted(series, key=lambda o: o.at)
    start = 0
    for index in range(1, len(ordered)):
        if _reset_between(ordered[index - 1], ordered[index]):
            start = index
    return ordered[start:]


def burn_rate(series: Sequence[Observation], now: float) -> BurnRate | None:
    """The window's recent rate; None when its current window has too little history."""
    window = current_window(series)
    if not window:
        return None
    lookback = max(MIN_LOOKBACK_SECONDS, window[-1].window_seconds / 5)
    recent = [o for o in window if o.at >= now - lookback]
    if len(recent) < 2 or recent[-1].at - recent[0].at < lookback * MIN_SPAN_FRACTION:
        return None
    central = _rate(recent)
    spread = _spread(recent, central)
    return BurnRate(central, max(0.0, central - spread), central + spread)


def left_percent(series: Sequence[Observation], now: float) -> float:
    """What the window has left as of now: all of it once its reset has passed."""
    last = max(series, key=lambda o: o.at)
    if last.resets_at is not None and last.resets_at <= now:
        return 100.0
    return max(0.0, 100.0 - min(100.0, last.used_percent))


def pool_forecast(
    series_by_account: Mapping[str, Sequence[Observation]], window: str, now: float
) -> Forecast:
    """The pool's forecast for one window from each account's history of it."""
    present = {k: s for k, s in series_by_account.items() if s}
    left = sum(left_percent(s, now) for s in present.values())
    resets = [_upcoming_reset(s, now) for s in present.values()]
    next_reset = min((r for r in resets if r is not None), default=None)
    rates = [r for r in (burn_rate(s, now) for s in present.values()) if r is not None]
    if not rates:
        return Forecast(window, "not_enough_data", None, left, next_reset)
    rate = _pooled(rates)
    if rate.per_hour <= 0:
        return Forecast(window, "lasts_until_reset", rate, left, next_reset)
    runs_out = now + left / rate.per_hour * HOUR
    earliest = now + left / rate.high * HOUR
    latest = now + left / rate.low * HOUR if rate.low > 0 else math.inf
    if next_reset is not None and runs_out >= next_reset:
        return Forecast(window, "lasts_until_reset", rate, left, next_reset)
    return Forecast(window, "runs_out", rate, left, next_reset, runs_out, earliest, latest)


def turn_cost(series: Sequence[Observation]) -> float | None:
    """The median rise of the window between two observations of it in its current
    window that show a rise: roughly what one turn costs (None without any)."""
    window = current_window(series)
    rises = [b.used_percent - a.used_percent for a, b in itertools.pairwise(window)]
    positive = [r for r in rises if r > 0]
    return statistics.median(positive) if positive else None


# -- pieces --------------------------------------------------------------------------------


def _reset_between(earlier: Observation, later: Observation) -> bool:
    if later.used_percent < earlier.used_percent - RESET_DROP_PERCENT:
        return True
    if earlier.resets_at is not None and later.at >= earlier.resets_at:
        return True
    moved = (later.resets_at or 0.0) - (earlier.resets_at or 0.0)
    return earlier.resets_at is not None and moved > RESET_MOVE_SECONDS


def _rate(points: Sequence[Observation]) -> float:
    span = points[-1].at - points[0].at
    rise = points[-1].used_percent - points[0].used_percent
    return max(0.0, rise) / span * HOUR if span > 0 else 0.0


def _spread(points: Sequence[Observation], central: float) -> float:
    start, end = points[0].at, points[-1].at
    size = (end - start) / CHUNKS
    chunk_rates = []
    for index in range(CHUNKS):
        low, high = start + index * size, start + (index + 1) * size
        chunk = [p for p in points if low <= p.at <= high]
        if len(chunk) >= 2:
            chunk_rates.append(_rate(chunk))
    spread = statistics.pstdev(chunk_rates) / math.sqrt(len(chunk_rates)) if chunk_rates else 0.0
    return max(spread, central * MIN_RELATIVE_SPREAD)


def _pooled(rates: Sequence[BurnRate]) -> BurnRate:
    central = sum(r.per_hour for r in rates)
    spread = math.sqrt(sum(((r.high - r.low) / 2) ** 2 for r in rates))
    spread = max(spread, central * MIN_RELATIVE_SPREAD)
    return BurnRate(central, max(0.0, central - spread), central + spread)


def _upcoming_reset(series: Sequence[Observation], now: float) -> float | None:
    last = max(series, key=lambda o: o.at)
    reset = last.resets_at
    if reset is None:
        return None
    while reset <= now:  # the window has reset since: the next one is a length later
        reset += last.window_seconds
    return reset


def _rounded(seconds: float) -> float:
    return round(seconds / ROUND_TO_SECONDS) * ROUND_TO_SECONDS


def _rounded_clock(moment: float, now: float) -> str:
    return clock_time(_rounded(moment), now)
