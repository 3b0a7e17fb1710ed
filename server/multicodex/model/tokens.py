"""A token set: the account's credentials. Its text form never shows a token."""

from __future__ import annotations

from pydantic import BaseModel


class TokenSet(BaseModel):
    access_token: str
    refresh_token: str
    id_token: str | None = None
    expires_at: float
    """Access-token expiry, unix seconds."""
    last_refresh: float | None = None

    def __repr__(self) -> str:  # tokens must never reach logs or tracebacks
        return f"TokenSet(expires_at={self.expires_at})"

    __str__ = __repr__
