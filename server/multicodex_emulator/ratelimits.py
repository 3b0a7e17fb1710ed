"""The quota state as the wire shows it: x-codex-* headers, wham/usage JSON, 429 bodies.

All three are built from the same `AccountState`, so they always agree.
"""

from __future__ import annotations

import math
from typing import Any

from multicodex_emulator.accounts import AccountState, Meter
from multicodex_emulator.catalog import SPARK_FEATURE, SPARK_LIMIT_NAME
from multicodex_emulator.windows import QuotaWindow

ACTIVE_LIMIT = "codex"
FREE_PROMO_MESSAGE = "Upgrade to Plus to keep using Codex with higher limits."


def rate_limit_headers(account: AccountState, now: float, meter: Meter) -> dict[str, str]:
    """codex-wire.md §4.1. Booleans are capitalised (`True`/`False`) like the real server.

    A Spark answer describes Spark's windows in the primary/secondary slots, not the
    account's (the real backend does this; a client must read them with the model).
    """
    windows = account.metered_windows(meter)
    headers = {
        "x-codex-active-limit": SPARK_FEATURE if meter == "spark" else ACTIVE_LIMIT,
        "x-codex-plan-type": account.plan,
        **_slot_headers("primary", windows[0], now),
        **_slot_headers("secondary", windows[1] if len(windows) > 1 else None, now),
        "x-codex-primary-over-secondary-limit-percent": "0",
        "x-codex-credits-has-credits": str(account.has_credits),
        "x-codex-credits-unlimited": "False",
        "x-codex-credits-balance": _balance_header(account),
    }
    if account.layout == "free":
        headers["x-codex-promo-campaign-id"] = "emulator-free-trial"
        headers["x-codex-promo-message"] = FREE_PROMO_MESSAGE
    return headers


def _balance_header(account: AccountState) -> str:
    if account.layout == "free" and not account.has_credits:
        return ""
    return format_percent(account.credit_balance)


def _slot_headers(slot: str, window: QuotaWindow | None, now: float) -> dict[str, str]:
    prefix = f"x-codex-{slot}"
    if window is None:
        # Single-window plans send an empty secondary: 0 minutes and no reset time.
        return {
            f"{prefix}-used-percent": "0",
            f"{prefix}-window-minutes": "0",
            f"{prefix}-reset-at": "",
            f"{prefix}-reset-after-seconds": "",
        }
    return {
        f"{prefix}-used-percent": format_percent(window.used_percent),
        f"{prefix}-window-minutes": str(window.minutes),
        f"{prefix}-reset-at": str(int(window.reset_at)),
        f"{prefix}-reset-after-seconds": str(_reset_after(window, now)),
    }


def usage_payload(account: AccountState, now: float) -> dict[str, Any]:
    """codex-wire.md §5: every window field an integer, every required field present."""
    exhausted = bool(account.exhausted_windows())
    return {
        "user_id": account.user_id,
        "account_id": account.account_id,
        "email": account.email,
        "plan_type": account.plan,
        "rate_limit": _rate_limit_json(account.windows, now),
        "code_review_rate_limit": None,
        "additional_rate_limits": _additional_limits(account, now),
        "credits": {
            "has_credits": account.has_credits,
            "unlimited": False,
            "overage_limit_reached": False,
            "balance": format_percent(account.credit_balance),
            "approx_local_messages": [0, 0],
            "approx_cloud_messages": [0, 0],
        },
        "spend_control": {"reached": False, "individual_limit": None},
        "rate_limit_reached_type": {"type": "rate_limit_reached"} if exhausted else None,
        "rate_limit_upsell": None,
        "model_usage": {},
        "promo": None,
        "rate_limit_reset_credits": reset_credits_json(account),
    }


def reset_credits_json(account: AccountState) -> dict[str, int]:
    return {
        "available_count": account.reset_credits,
        "applicable_available_count": account.reset_credits,
    }


def _rate_limit_json(windows: list[QuotaWindow], now: float) -> dict[str, Any]:
    exhausted = any(w.exhausted for w in windows)
    return {
        "allowed": not exhausted,
        "limit_reached": exhausted,
        "primary_window": _window_json(windows[0], now),
        "secondary_window": _window_json(windows[1] if len(windows) > 1 else None, now),
    }


def _additional_limits(account: AccountState, now: float) -> list[dict[str, Any]] | None:
    """Pro's Spark quota (lidge-jun/opencodex#4122); None for every other plan."""
    if not account.has_spark_limits:
        return None
    return [
        {
            "limit_name": SPARK_LIMIT_NAME,
            "metered_feature": SPARK_FEATURE,
            "rate_limit": _rate_limit_json(account.spark, now),
        }
    ]


def _window_json(window: QuotaWindow | None, now: float) -> dict[str, int] | None:
    if window is None:
        return None
    return {
        "used_percent": math.floor(window.used_percent),
        "limit_window_seconds": window.seconds,
        "reset_after_seconds": _reset_after(window, now),
        "reset_at": int(window.reset_at),
    }


def usage_limit_body(
    account: AccountState, now: float, exhausted: list[QuotaWindow]
) -> dict[str, Any]:
    """429 `usage_limit_reached`. The reset is when every exhausted window has reset."""
    resets_at = max(w.reset_at for w in exhausted or [account.primary])
    return {
        "error": {
            "type": "usage_limit_reached",
            "message": "The usage limit has been reached",
            "plan_type": account.plan,
            "resets_at": int(resets_at),
            "eligible_promo": None,
            "resets_in_seconds": max(0, math.ceil(resets_at - now)),
        }
    }


def format_percent(value: float) -> str:
    """`12`, `12.5`: integers without a fraction, otherwise at most two decimals."""
    rounded = round(value, 2)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.2f}".rstrip("0")


def _reset_after(window: QuotaWindow, now: float) -> int:
    return max(0, math.ceil(window.reset_at - now))
