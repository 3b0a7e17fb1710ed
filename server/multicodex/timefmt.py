"""Every duration and clock time MultiCodex shows, in one place: the footer, reasons,
errors, the CLI and the editor all read times the same way. Times are UTC; rounding is
half up (as the original's ``Math.round``), never Python's bankers' rounding."""

from __future__ import annotations

import math
from datetime import UTC, datetime

DAY = 24 * 3600
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def countdown(seconds: float) -> str:
    """``<d>d<h>h``, ``<h>h<m>m``, ``<m>m`` or ``<s>s``; a past time reads ``0s``."""
    total = max(0, round_half_up(seconds))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d{hours}h"
    if hours:
        return f"{hours}h{minutes}m"
    if minutes:
        return f"{minutes}m"
    return f"{secs}s"


def relative_reset(resets_at: float | None, now: float) -> str:
    """``unknown``, ``now`` once passed, else ``in <m>m`` / ``in <h>h`` (< 48 h) / ``in <d>d``."""
    if resets_at is None:
        return "unknown"
    remaining = resets_at - now
    if remaining <= 0:
        return "now"
    minutes = max(1, round_half_up(remaining / 60))
    if minutes < 60:
        return f"in {minutes}m"
    hours = round_half_up(minutes / 60)
    if hours < 48:
        return f"in {hours}h"
    return f"in {round_half_up(hours / 24)}d"


def clock_time(timestamp: float, now: float) -> str:
    """``14:05 UTC`` within a day, ``Sat 09:00 UTC`` within a weekly window and a day of
    slack (every reset of a weekly window reads as a weekday), else a date."""
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    hour = moment.strftime("%H:%M")
    ahead = timestamp - now
    if -DAY < ahead < DAY:
        return f"{hour} UTC"
    if -8 * DAY < ahead < 8 * DAY:
        return f"{_WEEKDAYS[moment.weekday()]} {hour} UTC"
    return f"{moment.strftime('%Y-%m-%d')} {hour} UTC"


def until(timestamp: float, now: float) -> str:
    """``15:42 UTC (in 1h23m)``."""
    return f"{clock_time(timestamp, now)} (in {countdown(max(0.0, timestamp - now))})"


def ago(seconds: float) -> str:
    return "just now" if seconds < 1 else f"{countdown(seconds)} ago"


def in_words(seconds: float) -> str:
    """``1 hour``, ``90 minutes``, ``45 seconds``, ``0.5 seconds``: settings as people
    say them."""
    whole = int(seconds)
    if whole == seconds and whole > 0:
        for unit, size in (("hour", 3600), ("minute", 60)):
            if whole % size == 0:
                count = whole // size
                return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds:g} second{'' if seconds == 1 else 's'}"
