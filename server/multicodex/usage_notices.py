"""When a usage threshold crossed upwards is announced, with hysteresis.

Pure: the readings and what was announced before come in; what to announce now and what
to re-arm go out. A threshold is announced once per window; it is re-armed when use falls
below the threshold minus the margin, or when the window it was announced in has reset.
Several thresholds crossed at once are announced as the highest.

Only a crossing seen on the account that is active is announced for it: an account that
has just become active is re-based silently (what it reached before is remembered, not
told), and when the pool and the active account cross in the same window at once, the
pool's notice says it for both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from multicodex.history import NotifiedKey

DEFAULT_THRESHOLDS = (80, 95)
DEFAULT_MARGIN = 5.0
POOL_SCOPE = "pool"


@dataclass(frozen=True)
class Reading:
    """One window's use now, for an account (its key) or the pool (``pool``)."""

    scope: str
    window: str
    used: float
    resets_at: float | None


@dataclass(frozen=True)
class Decision:
    announce: list[tuple[Reading, int]] = field(default_factory=list)
    """Each reading that crossed, with the highest threshold it crossed."""
    remember: dict[NotifiedKey, float | None] = field(default_factory=dict)
    rearm: list[NotifiedKey] = field(default_factory=list)


def decide(
    readings: Sequence[Reading],
    announced: Mapping[NotifiedKey, float | None],
    now: float,
    thresholds: Sequence[int] = DEFAULT_THRESHOLDS,
    margin: float = DEFAULT_MARGIN,
    *,
    rebased: Collection[str] = (),
) -> Decision:
    """``rebased``: scopes (the account just become active) whose crossings are
    remembered without being announced."""
    decision = Decision()
    for reading in readings:
        crossed: list[int] = []
        for threshold in sorted(thresholds):
            key = NotifiedKey(reading.scope, reading.window, threshold)
            armed = key not in announced
            if not armed and _rearms(reading, announced[key], threshold, margin, now):
                decision.rearm.append(key)
                armed = True
            if armed and reading.used >= threshold:
                crossed.append(threshold)
                decision.remember[key] = reading.resets_at
        if crossed and reading.scope not in rebased:
            decision.announce.append((reading, max(crossed)))
    decision.announce[:] = _told_by_the_pool_dropped(decision.announce)
    return decision


def _told_by_the_pool_dropped(announce: list[tuple[Reading, int]]) -> list[tuple[Reading, int]]:
    """An account's crossing in a window where the pool crosses as high or higher at the
    same time is said by the pool's notice."""
    pool = {r.window: t for r, t in announce if r.scope == POOL_SCOPE}
    return [(r, t) for r, t in announce if r.scope == POOL_SCOPE or t > pool.get(r.window, 0)]


def _rearms(
    reading: Reading, reset_then: float | None, threshold: int, margin: float, now: float
) -> bool:
    if reading.used < threshold - margin:
        return True
    return reset_then is not None and reset_then <= now
