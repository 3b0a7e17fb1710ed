"""The closed set of ways a call to the Codex backend can fail, as every layer names them."""

from __future__ import annotations

from enum import StrEnum


class FailureKind(StrEnum):
    QUOTA_EXHAUSTED = "quota_exhausted"
    """429 usage_limit_reached / usage_not_included: cool the account down until reset."""
    RATE_LIMITED = "rate_limited"
    """Short throttle (429 of another type, in-stream rate_limit_exceeded): retry later."""
    TRANSIENT = "transient"
    """5xx, overload, connection drop, stream cut, in-stream failure: retry with backoff."""
    AUTH_EXPIRED = "auth_expired"
    """401 with an access token that a refresh can fix."""
    NEEDS_REAUTH = "needs_reauth"
    """Credentials are dead (revoked, deactivated, refresh token spent): user must log in."""
    MODEL_GATED = "model_gated"
    """400 "The '<model>' model requires a newer version of Codex" or "… is not supported
    when using Codex with a ChatGPT account": this account cannot serve this model; it
    still serves others, and another account may serve this one."""
    BAD_REQUEST = "bad_request"
    """400-class: would fail on every account; surface it, never rotate."""
    CANCELLED = "cancelled"
