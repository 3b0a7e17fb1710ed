"""The ``GET /backend-api/wham/usage`` response body, as far as MultiCodex reads it.

Everything is optional and unknown fields are ignored: live payloads drop windows
(``secondary_window: null``), send ``reset_after_seconds: null`` and grow new fields.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class UsageWindowPayload(_Lenient):
    used_percent: float | None = None
    limit_window_seconds: int | None = None
    reset_after_seconds: float | None = None
    reset_at: float | None = None


class RateLimitPayload(_Lenient):
    allowed: bool | None = None
    limit_reached: bool | None = None
    primary_window: UsageWindowPayload | None = None
    secondary_window: UsageWindowPayload | None = None


class AdditionalRateLimitPayload(_Lenient):
    limit_name: str | None = None
    metered_feature: str | None = None
    rate_limit: RateLimitPayload | None = None


class CreditsPayload(_Lenient):
    model_config = ConfigDict(extra="ignore", frozen=True, coerce_numbers_to_str=True)

    has_credits: bool | None = None
    unlimited: bool | None = None
    balance: str | None = None


class RateLimitReachedTypePayload(_Lenient):
    type: str | None = None


class RateLimitResetCreditsPayload(_Lenient):
    """Banked resets of an account's windows (``wham/rate-limit-reset-credits/consume``)."""

    available_count: int | None = None
    applicable_available_count: int | None = None


class UsagePayload(_Lenient):
    user_id: str | None = None
    account_id: str | None = None
    email: str | None = None
    plan_type: str | None = None
    rate_limit: RateLimitPayload | None = None
    additional_rate_limits: list[AdditionalRateLimitPayload] | None = None
    credits: CreditsPayload | None = None
    rate_limit_reached_type: RateLimitReachedTypePayload | None = None
    rate_limit_reset_credits: RateLimitResetCreditsPayload | None = None
