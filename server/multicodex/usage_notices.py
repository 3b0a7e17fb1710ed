"""When a usage threshold crossed upwards is announced, with hysteresis.

Pure: the readings and what was announced before come in; what to announce now and what
to re-arm go out. A threshold is announced once per window; it is re-armed when use falls
below the threshold minus the margin, or when the window it was announced in has reset.
Several thresholds crossed at once are announced as the highest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from multicodex.history import NotifiedKey

DEFAULT_THRESHOLDS = (80, 95)
DEFAULT_MARGIN = 5.0


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
) -> Decision:
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
        if crossed:
            decision.announce.append((reading, max(crossed)))
    return decision


def _rearms(
    reading: Reading, reset_then: float | None, threshold: int, margin: float, now: float
) -> bool:
    if reading.used < threshold - margin:
        return True
    return reset_then is not None and reset_then <= now
