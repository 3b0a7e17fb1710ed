"""Usage snapshots: how much of each quota window an account has used.

Windows are classified by their duration, never by their primary/secondary position:
some plans send a single weekly window in the primary slot, Team plans a 30-day one.
Model-scoped limits (Spark) are buckets of their own, never the account's windows.
A ``used_percent`` above 100 (the backend allows it) is read as 100: exhausted, 0 % left.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from multicodex.codex.usage_payload import (
    AdditionalRateLimitPayload,
    CreditsPayload,
    RateLimitPayload,
    UsagePayload,
    UsageWindowPayload,
)
from multicodex.model.quota import GENERAL_BUCKET, bucket_for_model
from multicodex.model.usage import (
    SHORT_WINDOW_MAX_SECONDS,
    QuotaBucket,
    UsageCredits,
    UsageSnapshot,
    UsageWindow,
    WindowPair,
)


def parse_usage_payload(payload: object, now: float) -> UsageSnapshot:
    """Snapshot from a ``wham/usage`` body; raises ``ValueError`` if it is not that shape.

    ``rate_limit`` is the account's general limit; each ``additional_rate_limits`` entry
    (Spark's ``codex_bengalfox`` on Pro) becomes a bucket of its own.
    """
    body = payload if isinstance(payload, UsagePayload) else UsagePayload.model_validate(payload)
    general = _payload_pair(body.rate_limit, now)
    reset_credits = body.rate_limit_reset_credits
    return UsageSnapshot(
        plan_type=body.plan_type or None,
        five_hour=general.five_hour,
        weekly=general.weekly,
        limit_reached=general.limit_reached,
        fetched_at=now,
        source="endpoint",
        credits=_payload_credits(body.credits),
        buckets=_payload_buckets(body.additional_rate_limits or [], now),
        reset_credits=reset_credits.available_count if reset_credits is not None else None,
    )


def parse_usage_headers(
    headers: Mapping[str, str],
    now: float,
    *,
    model: str | None = None,
    limit_id: str = GENERAL_BUCKET,
) -> UsageSnapshot | None:
    """Snapshot from the ``x-codex-*`` headers of a response; None when they carry no window.

    Read together with the ``model`` the request used: for a model metered on a bucket of
    its own (Spark), or when ``x-codex-active-limit`` names a limit other than ``codex``,
    the ``x-codex-primary/secondary-*`` windows describe that bucket, so they land in
    ``buckets`` and the account's general windows stay unset (a merge keeps the known
    ones). Per-limit families (``x-codex-bengalfox-primary-*``) fill their own buckets.

    ``limit_id`` other than ``codex`` reads only that family (``codex_other`` reads
    ``x-codex-other-*``), as the snapshot's own windows.
    """
    lowered = {key.lower(): value for key, value in headers.items()}
    if limit_id != GENERAL_BUCKET:
        return _family_snapshot(lowered, limit_id, now)
    reached = bool(lowered.get(_REACHED_TYPE, "").strip())
    metered = _metered_bucket(lowered, model)
    codex = _family_pair(lowered, GENERAL_BUCKET, now, reached=reached)
    buckets = _header_buckets(lowered, now)
    general = WindowPair()
    if metered == GENERAL_BUCKET:
        general = codex or general
    elif codex is not None and metered not in buckets:
        buckets[metered] = _as_bucket(codex, None)
    if general.five_hour is None and general.weekly is None and not buckets:
        return None
    return UsageSnapshot(
        plan_type=lowered.get("x-codex-plan-type", "").strip() or None,
        five_hour=general.five_hour,
        weekly=general.weekly,
        limit_reached=general.limit_reached,
        fetched_at=now,
        source="headers",
        credits=_header_credits(lowered),
        buckets=buckets,
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


_REACHED_TYPE = "x-codex-rate-limit-reached-type"
_ACTIVE_LIMIT = "x-codex-active-limit"
_SLOTS = ("primary", "secondary")
_FAMILY_MARK = "-primary-used-percent"


def _payload_pair(rate_limit: RateLimitPayload | None, now: float) -> WindowPair:
    if rate_limit is None:
        return WindowPair()
    slots = (rate_limit.primary_window, rate_limit.secondary_window)
    windows = [w for w in (_payload_window(s, now) for s in slots) if w is not None]
    five_hour, weekly = classify_windows(windows)
    reached = bool(rate_limit.limit_reached) or rate_limit.allowed is False
    return WindowPair(
        five_hour=five_hour, weekly=weekly, limit_reached=reached or _any_exhausted(windows)
    )


def _payload_buckets(
    limits: Iterable[AdditionalRateLimitPayload], now: float
) -> dict[str, QuotaBucket]:
    """``additional_rate_limits`` by ``metered_feature`` (the limit's id, as in codex-rs)."""
    buckets: dict[str, QuotaBucket] = {}
    for limit in limits:
        bucket_id = limit.metered_feature or limit.limit_name
        if not bucket_id or bucket_id == GENERAL_BUCKET:
            continue
        pair = _payload_pair(limit.rate_limit, now)
        buckets[bucket_id] = _as_bucket(pair, limit.limit_name)
    return buckets


def _as_bucket(pair: WindowPair, limit_name: str | None) -> QuotaBucket:
    return QuotaBucket(
        five_hour=pair.five_hour,
        weekly=pair.weekly,
        limit_reached=pair.limit_reached,
        limit_name=limit_name,
    )


def _payload_credits(credits: CreditsPayload | None) -> UsageCredits | None:
    if credits is None:
        return None
    return UsageCredits(
        has_credits=credits.has_credits, unlimited=credits.unlimited, balance=credits.balance
    )


def _metered_bucket(headers: Mapping[str, str], model: str | None) -> str:
    """The bucket the ``x-codex-primary/secondary-*`` windows of this answer describe."""
    bucket = bucket_for_model(model)
    if bucket != GENERAL_BUCKET:
        return bucket
    active = headers.get(_ACTIVE_LIMIT, "").strip().lower()
    return active if active and active != GENERAL_BUCKET else GENERAL_BUCKET


def _family_prefix(limit_id: str) -> str:
    return "x-" + limit_id.replace("_", "-") + "-"


def _family_pair(
    headers: Mapping[str, str], limit_id: str, now: float, *, reached: bool = False
) -> WindowPair | None:
    """The windows of the ``x-<limit>-primary/secondary-*`` family; None when it has none."""
    prefix = _family_prefix(limit_id)
    slots = (prefix + slot for slot in _SLOTS)
    windows = [w for w in (_header_window(headers, s, now) for s in slots) if w is not None]
    if not windows:
        return None
    five_hour, weekly = classify_windows(windows)
    return WindowPair(
        five_hour=five_hour, weekly=weekly, limit_reached=reached or _any_exhausted(windows)
    )


def _family_snapshot(headers: Mapping[str, str], limit_id: str, now: float) -> UsageSnapshot | None:
    pair = _family_pair(
        headers, limit_id, now, reached=bool(headers.get(_REACHED_TYPE, "").strip())
    )
    if pair is None:
        return None
    return UsageSnapshot(
        plan_type=headers.get("x-codex-plan-type", "").strip() or None,
        five_hour=pair.five_hour,
        weekly=pair.weekly,
        limit_reached=pair.limit_reached,
        fetched_at=now,
        source="headers",
        credits=_header_credits(headers),
    )


def _header_buckets(headers: Mapping[str, str], now: float) -> dict[str, QuotaBucket]:
    """Every per-limit family other than ``x-codex-*``, by its limit id (``-`` read as ``_``)."""
    buckets: dict[str, QuotaBucket] = {}
    for name in headers:
        if not (name.startswith("x-") and name.endswith(_FAMILY_MARK)):
            continue
        limit_id = name[2 : -len(_FAMILY_MARK)].replace("-", "_")
        if not limit_id or limit_id == GENERAL_BUCKET:
            continue
        pair = _family_pair(headers, limit_id, now)
        if pair is not None:
            limit_name = headers.get(_family_prefix(limit_id) + "limit-name", "").strip() or None
            buckets[limit_id] = _as_bucket(pair, limit_name)
    return buckets


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
