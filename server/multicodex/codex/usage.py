"""Usage snapshots: how much of each quota window an account has used.

Windows are classified by their duration, never by their primary/secondary position:
some plans send a single weekly window in the primary slot.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from multicodex.codex.usage_payload import UsagePayload, UsageWindowPayload
from multicodex.model.usage import (
    SHORT_WINDOW_MAX_SECONDS,
    UsageCredits,
    UsageSnapshot,
    UsageWindow,
)


def parse_usage_payload(payload: object, now: float) -> UsageSnapshot:
    """Snapshot from a ``wham/usage`` body; raises ``ValueError`` if it is not that shape."""
    body = payload if isinstance(payload, UsagePayload) else UsagePayload.model_validate(payload)
    rate_limit = body.rate_limit
    windows: list[UsageWindow] = []
    limit_reached = False
    if rate_limit is not None:
        slots = (rate_limit.primary_window, rate_limit.secondary_window)
        windows = [w for w in (_payload_window(s, now) for s in slots) if w is not None]
        limit_reached = bool(rate_limit.limit_reached) or rate_limit.allowed is False
    credits = None
    if body.credits is not None:
        credits = UsageCredits(
            has_credits=body.credits.has_credits,
            unlimited=body.credits.unlimited,
            balance=body.credits.balance,
        )
    five_hour, weekly = classify_windows(windows)
    return UsageSnapshot(
        plan_type=body.plan_type or None,
        five_hour=five_hour,
        weekly=weekly,
        limit_reached=limit_reached or _any_exhausted(windows),
        fetched_at=now,
        source="endpoint",
        credits=credits,
    )


def parse_usage_headers(
    headers: Mapping[str, str], now: float, *, limit_id: str = "codex"
) -> UsageSnapshot | None:
    """Snapshot from the ``x-codex-*`` headers of a response; None when they carry no window.

    ``limit_id`` picks the limit family (``codex_other`` reads ``x-codex-other-*``).
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    prefix = "x-" + limit_id.replace("_", "-") + "-"
    slots = (prefix + "primary", prefix + "secondary")
    windows = [w for w in (_header_window(lowered, s, now) for s in slots) if w is not None]
    if not windows:
        return None
    five_hour, weekly = classify_windows(windows)
    reached_type = lowered.get("x-codex-rate-limit-reached-type", "").strip()
    return UsageSnapshot(
        plan_type=lowered.get("x-codex-plan-type", "").strip() or None,
        five_hour=five_hour,
        weekly=weekly,
        limit_reached=bool(reached_type) or _any_exhausted(windows),
        fetched_at=now,
        source="headers",
        credits=_header_credits(lowered),
    )


def classify_windows(
    windows: Iterable[UsageWindow],
) -> tuple[UsageWindow | None, UsageWindow | None]:
    """Split windows into (five_hour, weekly) by duration, never by position.

    Windows up to a day are the short one, longer ones the long one; within each class the
    longest window wins (a ~30-day window outranks a 7-day one), then the fuller one.
    """
    short: UsageWindow | None = None
    long: UsageWindow | None = None
    for window in windows:
        seconds = window.window_seconds
        if seconds is None or seconds <= 0:
            continue
        if seconds <= SHORT_WINDOW_MAX_SECONDS:
            short = _wider(short, window)
        else:
            long = _wider(long, window)
    return short, long


def parse_header_float(value: str | None) -> float | None:
    """A finite number, or None for missing, empty or garbage values."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def parse_header_bool(value: str | None) -> bool | None:
    """The backend sends ``True``/``False``; accept any case and ``1``/``0``."""
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    return None


def _wider(current: UsageWindow | None, candidate: UsageWindow) -> UsageWindow:
    if current is None:
        return candidate
    current_key = (current.window_seconds or 0, current.used_percent)
    candidate_key = (candidate.window_seconds or 0, candidate.used_percent)
    return candidate if candidate_key > current_key else current


def _any_exhausted(windows: Iterable[UsageWindow]) -> bool:
    return any(w.used_percent >= 100 for w in windows)


def _clamp_percent(value: float) -> float:
    return min(max(value, 0.0), 100.0)


def _resets_at(reset_at: float | None, reset_after: float | None, now: float) -> float | None:
    if reset_at is not None and reset_at > 0:
        return float(reset_at)
    if reset_after is not None and reset_after >= 0:
        return now + reset_after
    return None


def _payload_window(window: UsageWindowPayload | None, now: float) -> UsageWindow | None:
    if window is None or window.used_percent is None or not math.isfinite(window.used_percent):
        return None
    if not window.limit_window_seconds:
        return None
    return UsageWindow(
        used_percent=_clamp_percent(window.used_percent),
        window_seconds=window.limit_window_seconds,
        resets_at=_resets_at(window.reset_at, window.reset_after_seconds, now),
    )


def _header_window(headers: Mapping[str, str], slot: str, now: float) -> UsageWindow | None:
    """One ``x-codex-<slot>-*`` window. ``0`` minutes means the slot is empty."""
    percent = parse_header_float(headers.get(slot + "-used-percent"))
    minutes = parse_header_float(headers.get(slot + "-window-minutes"))
    if percent is None or not minutes or minutes < 0:
        return None
    return UsageWindow(
        used_percent=_clamp_percent(percent),
        window_seconds=round(minutes * 60),
        resets_at=_resets_at(
            parse_header_float(headers.get(slot + "-reset-at")),
            parse_header_float(headers.get(slot + "-reset-after-seconds")),
            now,
        ),
    )


def _header_credits(headers: Mapping[str, str]) -> UsageCredits | None:
    has_credits = parse_header_bool(headers.get("x-codex-credits-has-credits"))
    unlimited = parse_header_bool(headers.get("x-codex-credits-unlimited"))
    balance = headers.get("x-codex-credits-balance", "").strip() or None
    if has_credits is None and unlimited is None and balance is None:
        return None
    return UsageCredits(has_credits=has_credits, unlimited=unlimited, balance=balance)
