"""Quota windows and the plan layouts that arrange them into primary/secondary slots."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Layout = Literal["plus", "weekly", "free", "monthly"]
WindowKind = Literal["five_hour", "weekly", "monthly"]

FIVE_HOURS = 5 * 3600
ONE_WEEK = 7 * 24 * 3600
THIRTY_DAYS = 30 * 24 * 3600

_WINDOW_SECONDS: dict[WindowKind, int] = {
    "five_hour": FIVE_HOURS,
    "weekly": ONE_WEEK,
    "monthly": THIRTY_DAYS,
}

LAYOUT_BY_PLAN: dict[str, Layout] = {"free": "free", "pro": "weekly"}
"""Layout used when none is given: plans observed with a single weekly window."""


MAX_PERCENT = 1000.0
"""Served percentages may exceed 100 (0.171's doc comment: "Can exceed 100")."""


@dataclass
class QuotaWindow:
    """One usage window; use moves `used_percent` up to 100, a control may set more."""

    kind: WindowKind
    seconds: int
    used_percent: float
    reset_at: float

    @property
    def minutes(self) -> int:
        return self.seconds // 60

    @property
    def exhausted(self) -> bool:
        return self.used_percent >= 100.0

    def roll(self, now: float) -> None:
        """A window whose reset time has passed starts over, empty, for a full period."""
        if now >= self.reset_at:
            self.restart(now)

    def consume(self, percent: float) -> None:
        ceiling = max(100.0, self.used_percent)
        self.used_percent = min(ceiling, max(0.0, self.used_percent + percent))

    def restart(self, now: float) -> None:
        """Empty for a fresh full period (a redeemed reset credit)."""
        self.used_percent = 0.0
        self.reset_at = now + self.seconds


def new_window(kind: WindowKind, now: float, used_percent: float) -> QuotaWindow:
    seconds = _WINDOW_SECONDS[kind]
    return QuotaWindow(
        kind=kind, seconds=seconds, used_percent=clamp_percent(used_percent), reset_at=now + seconds
    )


def layout_windows(
    layout: Layout, now: float, five_hour_used: float, weekly_used: float
) -> list[QuotaWindow]:
    """Windows in slot order: index 0 is primary, index 1 (if any) secondary.

    `weekly_used` always sets the long window (the 30-day one for the monthly layout).
    """
    if layout == "plus":
        return [
            new_window("five_hour", now, five_hour_used),
            new_window("weekly", now, weekly_used),
        ]
    if five_hour_used:
        raise ValueError(f"layout {layout!r} has no five-hour window")
    if layout == "monthly":
        return [new_window("monthly", now, weekly_used)]
    return [new_window("weekly", now, weekly_used)]


def spark_windows(
    now: float, five_hour_used: float = 0.0, weekly_used: float = 0.0
) -> list[QuotaWindow]:
    """The Spark model's own 5 h + weekly windows (Pro's `codex_bengalfox` limit)."""
    return [new_window("five_hour", now, five_hour_used), new_window("weekly", now, weekly_used)]


def clamp_percent(value: float) -> float:
    if value != value:  # NaN
        raise ValueError("used percent must be a number")
    return min(MAX_PERCENT, max(0.0, float(value)))
