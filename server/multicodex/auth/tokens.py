"""Token-endpoint answers turned into a `TokenSet` plus the identity the tokens carry."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError

from multicodex.auth.claims import MalformedTokenError, TokenClaims, merge_claims, read_claims
from multicodex.model import TokenSet


class TokenResponseError(ValueError):
    """The token endpoint answered 2xx with a body we cannot use. Never quotes the body."""


class LoginResult(BaseModel):
    """Tokens from a completed login and who they belong to (access token first)."""

    tokens: TokenSet
    claims: TokenClaims


def tokens_from_response(
    body: object,
    *,
    now: float | None = None,
    fallback_refresh_token: str | None = None,
) -> TokenSet:
    """Build a `TokenSet` from a token-endpoint JSON body.

    ``expires_in`` is authoritative; without it the access token's ``exp`` is used.
    ``fallback_refresh_token`` is kept when a refresh answer carries no new refresh
    token (codex-rs keeps the old value in that case).
    """
    if not isinstance(body, Mapping):
        raise TokenResponseError("token response is not a JSON object")
    issued_at = time.time() if now is None else now
    access_token = _required_string(body, "access_token")
    refresh_token = _optional_string(body, "refresh_token") or fallback_refresh_token
    if refresh_token is None:
        raise TokenResponseError("token response has no refresh_token")
    try:
        return TokenSet(
            access_token=access_token,
            refresh_token=refresh_token,
            id_token=_optional_string(body, "id_token"),
            expires_at=_expiry(body, access_token, issued_at),
            last_refresh=issued_at,
        )
    except ValidationError:
        # pydantic's message would echo the input values, tokens included.
        raise TokenResponseError("token response has fields of the wrong type") from None


def login_result(tokens: TokenSet) -> LoginResult:
    """Pair tokens with their identity; a login without a ChatGPT account id is useless."""
    claims = merge_claims(tokens.access_token, tokens.id_token)
    if not claims.account_id:
        raise TokenResponseError("the tokens carry no ChatGPT account id")
    return LoginResult(tokens=tokens, claims=claims)


def _expiry(body: Mapping[str, Any], access_token: str, issued_at: float) -> float:
    expires_in = body.get("expires_in")
    if isinstance(expires_in, int | float) and not isinstance(expires_in, bool):
        return issued_at + float(expires_in)
    if isinstance(expires_in, str):
        try:
            return issued_at + float(expires_in)
        except ValueError:
            pass
    try:
        exp = read_claims(access_token).expires_at
    except MalformedTokenError:
        exp = None
    if exp is None:
        raise TokenResponseError("token response has neither expires_in nor a token exp")
    return exp


def _required_string(body: Mapping[str, Any], key: str) -> str:
    value = _optional_string(body, key)
    if value is None:
        raise TokenResponseError(f"token response has no {key}")
    return value


def _optional_string(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise TokenResponseError(f"token response field {key} is not a string")
    return value or None
