"""Identity read from ChatGPT JWTs. Signatures are never verified (clients cannot)."""

from __future__ import annotations

import base64
import json
from typing import Any

from pydantic import BaseModel

AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"


class TokenClaims(BaseModel):
    """What MultiCodex needs from an access or id token."""

    account_id: str | None = None
    email: str | None = None
    plan: str | None = None
    user_id: str | None = None
    expires_at: float | None = None


class MalformedTokenError(ValueError):
    """The string is not a decodable JWT. The message never contains the token."""


def decode_payload(token: str) -> dict[str, Any]:
    parts = token.split(".")
    if len(parts) != 3:
        raise MalformedTokenError("token is not a JWT (expected three dot-separated parts)")
    segment = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment.encode("ascii")))
    except (ValueError, UnicodeError) as exc:
        raise MalformedTokenError("token payload is not base64url JSON") from exc
    if not isinstance(payload, dict):
        raise MalformedTokenError("token payload is not a JSON object")
    return payload


def read_claims(token: str) -> TokenClaims:
    """Identity from one token: email from the top level or the profile namespace."""
    payload = decode_payload(token)
    auth = payload.get(AUTH_CLAIM) or {}
    profile = payload.get(PROFILE_CLAIM) or {}
    exp = payload.get("exp")
    return TokenClaims(
        account_id=_str_or_none(auth.get("chatgpt_account_id")),
        email=_str_or_none(payload.get("email") or profile.get("email")),
        plan=_str_or_none(auth.get("chatgpt_plan_type")),
        user_id=_str_or_none(auth.get("chatgpt_user_id") or auth.get("user_id")),
        expires_at=float(exp) if isinstance(exp, int | float) else None,
    )


def merge_claims(*tokens: str | None) -> TokenClaims:
    """Identity from several tokens, access token first (its `exp` is the one that matters).

    The first value found for each field wins; undecodable tokens are skipped.
    """
    merged: dict[str, Any] = {}
    for token in tokens:
        if not token:
            continue
        try:
            claims = read_claims(token)
        except MalformedTokenError:
            continue
        for key, value in claims.model_dump().items():
            if merged.get(key) is None and value is not None:
                merged[key] = value
    return TokenClaims(**merged)


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
