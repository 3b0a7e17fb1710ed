"""The usage footer and the account status line, formatted once for every client.

Pure: ``now`` is always a parameter. Formats follow the original (pi-multicodex-spec §12.2
and §11.3); one addition: a footer built from an out-of-date snapshot (``stale=True``)
ends with a muted `` (stale)`` segment so the user knows the numbers may have moved.

A ``FooterLine``'s ``text`` is always the concatenation of its segments' texts, spaces
and separators included, so a client may render either.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict
from typing_extensions import TypeAliasType

from multicodex.model import FooterSettings, UsageMode, UsageSnapshot, UsageWindow
from multicodex.timefmt import countdown, relative_reset, round_half_up

Severity = TypeAliasType("Severity", Literal["success", "info", "warning", "error", "dim"])
SegmentRole = TypeAliasType(
    "SegmentRole", Literal["brand", "separator", "account", "usage", "muted", "dim"]
)
"""brand/separator/muted/dim: fixed de-emphasised styles; account: normal text;
usage: coloured by the segment's severity."""
WindowLabel = Literal["5h", "7d"]

BRAND = "Codex"
SEPARATOR = " · "
LOADING = "loading..."
NO_ACTIVE_ACCOUNT = "no active account"
STALE_MARKER = " (stale)"
UNKNOWN_PERCENT = "--"

_SEVERITY_RANK: dict[Severity, int] = {"success": 0, "info": 1, "warning": 2, "error": 3}


class FooterSegment(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    role: SegmentRole
    severity: Severity | None = None
    """Set on usage segments (and on the no-account warning)."""


class FooterLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    text: str
    segments: list[FooterSegment]
    severity: Severity
    """The worst usage tier; ``dim`` while loading or when no window is known."""


def format_footer(
    account_name: str | None,
    usage: UsageSnapshot | None,
    settings: FooterSettings,
    now: float,
    *,
    stale: bool = False,
) -> FooterLine:
    """The footer for the active account, e.g.
    ``Codex · a@x.com · 5h:75% left (↺2h13m) · 7d:40% left (↺6d19h)``."""
    if account_name is None:
        warning = FooterSegment(text=NO_ACTIVE_ACCOUNT, role="account", severity="warning")
        return _line([_brand(), _separator(), warning], "warning")
    if usage is None:
        return _line(_loading_segments(account_name, settings), "dim")
    windows = [
        _usage_segment("5h", usage.five_hour, settings, now),
        _usage_segment("7d", usage.weekly, settings, now),
    ]
    fields = list(windows)
    if settings.show_account:
        account = FooterSegment(text=account_name, role="account")
        fields = [account, *fields] if settings.order == "account-first" else [*fields, account]
    segments = [_brand()]
    for field in fields:
        segments += [_separator(), field]
    if stale:
        segments.append(FooterSegment(text=STALE_MARKER, role="muted"))
    return _line(segments, _worst([w.severity for w in windows]))


def severity_for(display_percent: float | None, usage_mode: UsageMode) -> Severity:
    """Colour tier of a window, decided on the unrounded displayed percentage.

    ``left``: ≤10 error, ≤25 warning, ≤50 info, else success; ``used`` mirrors it with
    ≥90, ≥75, ≥50. Unknown is ``dim``.
    """
    if display_percent is None:
        return "dim"
    if usage_mode == "left":
        return _tier(display_percent <= 10, display_percent <= 25, display_percent <= 50)
    return _tier(display_percent >= 90, display_percent >= 75, display_percent >= 50)


def format_status_line(
    account: str, usage: UsageSnapshot | None, tags: Sequence[str], now: float
) -> str:
    """One account for listings, e.g.
    ``alice@x.com (active, untouched) - 5h 0% reset:in 5h | weekly 0% reset:in 7d``."""
    head = f"{account} ({', '.join(tags)})" if tags else account
    five_hour = _status_window("5h", usage.five_hour if usage else None, now)
    weekly = _status_window("weekly", usage.weekly if usage else None, now)
    return f"{head} - {five_hour} | {weekly}"


def _usage_segment(
    label: WindowLabel, window: UsageWindow | None, settings: FooterSettings, now: float
) -> FooterSegment:
    display = _display_percent(window, settings.usage_mode)
    text = f"{label}:{_percent_text(display, settings.usage_mode)}"
    if _shows_countdown(label, settings) and window is not None and window.resets_at is not None:
        text += f" (↺{countdown(window.resets_at - now)})"
    return FooterSegment(
        text=text, role="usage", severity=severity_for(display, settings.usage_mode)
    )


def _display_percent(window: UsageWindow | None, usage_mode: UsageMode) -> float | None:
    if window is None or not math.isfinite(window.used_percent):
        return None
    used = min(100.0, max(0.0, window.used_percent))
    return used if usage_mode == "used" else 100.0 - used


def _percent_text(display: float | None, usage_mode: UsageMode) -> str:
    if display is None:
        return UNKNOWN_PERCENT
    return f"{round_half_up(display)}% {usage_mode}"


def _shows_countdown(label: WindowLabel, settings: FooterSettings) -> bool:
    return settings.show_reset and settings.reset_window in (label, "both")


def _loading_segments(account_name: str, settings: FooterSettings) -> list[FooterSegment]:
    segments = [_brand(), _space()]
    if settings.show_account:
        segments += [FooterSegment(text=account_name, role="account"), _space()]
    segments.append(FooterSegment(text=LOADING, role="muted"))
    return segments


def _status_window(label: str, window: UsageWindow | None, now: float) -> str:
    percent = _display_percent(window, "used")
    percent_text = "unknown" if percent is None else f"{round_half_up(percent)}%"
    resets_at = window.resets_at if window is not None else None
    return f"{label} {percent_text} reset:{relative_reset(resets_at, now)}"


def _tier(error: bool, warning: bool, info: bool) -> Severity:
    if error:
        return "error"
    if warning:
        return "warning"
    if info:
        return "info"
    return "success"


def _worst(severities: Sequence[Severity | None]) -> Severity:
    known = [s for s in severities if s is not None and s in _SEVERITY_RANK]
    return max(known, key=_SEVERITY_RANK.__getitem__) if known else "dim"


def _line(segments: list[FooterSegment], severity: Severity) -> FooterLine:
    return FooterLine(text="".join(s.text for s in segments), segments=segments, severity=severity)


def _brand() -> FooterSegment:
    return FooterSegment(text=BRAND, role="brand")


def _separator() -> FooterSegment:
    return FooterSegment(text=SEPARATOR, role="separator")


def _space() -> FooterSegment:
    return FooterSegment(text=" ", role="separator")
