"""Quota as the Codex CLI reads it: the serving account's ``x-codex-*`` headers on each
answer, and the ``usage_limit_reached`` 429 (with headers) when the whole pool is spent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from multicodex.model import StoredAccount, UsageWindow
from multicodex.model_access import plan_of
from multicodex.rotation.models import PoolExhausted

RELAYED_HEADERS = frozenset(
    {"x-oai-request-id", "x-request-id", "openai-model", "x-models-etag", "x-reasoning-included"}
)
USAGE_LIMIT_MESSAGE = "The usage limit has been reached"


def relayed_headers(upstream: Mapping[str, str]) -> list[tuple[str, str]]:
    """The answer's headers the CLI reads: quota, turn state, request id, model."""
    return [
        (name, value)
        for name, value in upstream.items()
        if name.startswith("x-codex-") or name in RELAYED_HEADERS
    ]


def exhausted_answer(
    exhausted: PoolExhausted, accounts: list[StoredAccount], now: float
) -> tuple[dict[str, Any], dict[str, str]]:
    """The 429 body and headers for an exhausted pool, naming its earliest reset and the
    windows of the account that resets first."""
    first = _first_to_reset(exhausted, accounts)
    plan = (plan_of(first) if first is not None else "") or "plus"
    error: dict[str, Any] = {
        "type": "usage_limit_reached",
        "message": USAGE_LIMIT_MESSAGE,
        "plan_type": plan,
    }
    reset = exhausted.earliest_reset
    if reset is not None:
        error["resets_at"] = int(reset)
        error["resets_in_seconds"] = max(0, int(reset - now))
    headers = usage_headers(first, now) if first is not None else {}
    return {"error": error}, headers


def usage_headers(account: StoredAccount, now: float) -> dict[str, str]:
    """The account's last known windows as the backend writes them."""
    usage = account.usage
    headers = {"x-codex-plan-type": plan_of(account) or "plus"}
    if usage is None:
        return headers
    for slot, window in (("primary", usage.five_hour), ("secondary", usage.weekly)):
        if window is not None:
            headers.update(_window_headers(slot, window, now))
    return headers


def _window_headers(slot: str, window: UsageWindow, now: float) -> dict[str, str]:
    prefix = f"x-codex-{slot}"
    headers = {f"{prefix}-used-percent": f"{window.used_percent:g}"}
    if window.window_seconds:
        headers[f"{prefix}-window-minutes"] = str(window.window_seconds // 60)
    if window.resets_at is not None:
        headers[f"{prefix}-reset-at"] = str(int(window.resets_at))
        headers[f"{prefix}-reset-after-seconds"] = str(max(0, int(window.resets_at - now)))
    return headers


def _first_to_reset(
    exhausted: PoolExhausted, accounts: list[StoredAccount]
) -> StoredAccount | None:
    by_key = {a.key: a for a in accounts}
    resting = [s for s in exhausted.accounts if s.until is not None and s.key in by_key]
    if resting:
        return by_key[min(resting, key=lambda s: s.until or 0.0).key]
    return accounts[0] if accounts else None
