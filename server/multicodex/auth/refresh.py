"""The refresh-token grant, done by hand so callers own locking and persistence.

Refresh tokens rotate on every use: once the server answers, the old one is dead. So a
failure is classified as permanent (sign in again), transient (try again later) or
ambiguous (the request may have reached the server and rotated the token; retrying
blindly would spend a dead token and come back ``refresh_token_reused``).
"""

from __future__ import annotations

import asyncio
import json

import httpx2

from multicodex.auth.tokens import TokenResponseError, tokens_from_response
from multicodex.codex.headers import ACCEPT_ENCODING
from multicodex.config import CLIENT_ID, ORIGINATOR, Endpoints
from multicodex.model import TokenSet
from multicodex.neterrors import describe_transport_error

REFRESH_SCOPE = "openid profile email"
REFRESH_TIMEOUT_SECONDS = 15.0
"""How long one token request may take, connection to answer."""

EXPIRED_CODES = frozenset({"refresh_token_expired", "token_expired", "account_session_expired"})
REVOKED_CODES = frozenset(
    {
        "refresh_token_reused",
        "refresh_token_invalidated",
        "invalid_grant",
        "token_invalidated",
        "token_revoked",
        "app_session_terminated",
    }
)
DEACTIVATED_CODES = frozenset({"account_deactivated", "account_suspended", "account_deleted"})
PERMANENT_CODES = EXPIRED_CODES | REVOKED_CODES | DEACTIVATED_CODES

# Failures before a single byte of the request left: the token cannot have been spent.
_NEVER_SENT = (
    httpx2.ConnectError,
    httpx2.ConnectTimeout,
    httpx2.PoolTimeout,
    httpx2.UnsupportedProtocol,
)

_REASONS = {
    "refresh_token_expired": "the refresh token has expired",
    "refresh_token_reused": "the refresh token was already used",
    "refresh_token_invalidated": "the refresh token was revoked",
    "invalid_grant": "the refresh token is not valid",
    "token_expired": "the sign-in has expired",
    "token_invalidated": "the sign-in was invalidated",
    "token_revoked": "the sign-in was revoked",
    "app_session_terminated": "the session was ended",
    "account_session_expired": "the session has expired",
    "account_deactivated": "the account is deactivated",
    "account_suspended": "the account is suspended",
    "account_deleted": "the account was deleted",
}


class RefreshError(Exception):
    """A refresh that produced no tokens. The message never contains a token."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool,
        code: str | None = None,
        status: int | None = None,
        ambiguous: bool = False,
    ) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code
        self.status = status
        self.ambiguous = ambiguous

    @property
    def deactivated(self) -> bool:
        """The account itself is gone or blocked, not just this sign-in."""
        return self.code in DEACTIVATED_CODES

    def __repr__(self) -> str:
        return (
            f"RefreshError({str(self)!r}, permanent={self.permanent}, code={self.code!r}, "
            f"status={self.status}, ambiguous={self.ambiguous})"
        )


def extract_error_code(body: object) -> str | None:
    """The error code of a token-endpoint error body, lower-cased.

    ``error`` as an object gives its ``code``; ``error`` as a string is the code;
    otherwise the top-level ``code``.
    """
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    if isinstance(error, dict):
        code = error.get("code")
    elif isinstance(error, str):
        code = error
    else:
        code = body.get("code")
    if not isinstance(code, str) or not code.strip():
        return None
    return code.strip().lower()


def classify_refresh_failure(status: int, body: object) -> RefreshError:
    """Permanent when HTTP 401 or a known re-auth code; anything else is transient."""
    code = extract_error_code(body)
    permanent = status == 401 or code in PERMANENT_CODES
    reason = _REASONS.get(code or "", "the token endpoint refused the refresh")
    detail = f"HTTP {status}" + (f", {code}" if code else "")
    if permanent:
        message = f"Token refresh failed: {reason} ({detail}); sign in again"
    else:
        message = f"Token refresh failed temporarily ({detail}); try again later"
    # A gateway timeout may have been answered after the upstream rotated the token.
    return RefreshError(
        message, permanent=permanent, code=code, status=status, ambiguous=status == 504
    )


def refresh_form(refresh_token: str, reason: str | None) -> dict[str, str]:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CLIENT_ID,
        "scope": REFRESH_SCOPE,
    }
    if reason:
        form["refresh_reason"] = reason
    return form


async def refresh_tokens(
    http: httpx2.AsyncClient,
    endpoints: Endpoints,
    refresh_token: str,
    *,
    reason: str | None = None,
    timeout: float = REFRESH_TIMEOUT_SECONDS,  # noqa: ASYNC109 - also bounds the HTTP phases, not just the await
) -> TokenSet:
    """Spend ``refresh_token`` once and return the rotated set.

    Never retries: the caller serialises refreshes per account, persists the result
    before anything else and decides what to do with a `RefreshError`.
    """
    try:
        async with asyncio.timeout(timeout):
            response = await http.post(
                endpoints.token_url,
                data=refresh_form(refresh_token, reason),
                headers={
                    "originator": ORIGINATOR,
                    "accept": "application/json",
                    "accept-encoding": ACCEPT_ENCODING,
                },
                timeout=timeout,
            )
    except _NEVER_SENT as exc:
        raise _transport_error(exc, ambiguous=False) from None
    except httpx2.HTTPError as exc:
        raise _transport_error(exc, ambiguous=True) from None
    except TimeoutError:
        raise RefreshError(
            f"Token refresh timed out after {timeout:g}s; the token may have been rotated",
            permanent=False,
            ambiguous=True,
        ) from None
    return _parse_refresh_response(response, refresh_token)


def _parse_refresh_response(response: httpx2.Response, refresh_token: str) -> TokenSet:
    body = _json_or_none(response)
    if not response.is_success:
        raise classify_refresh_failure(response.status_code, body)
    try:
        return tokens_from_response(body, fallback_refresh_token=refresh_token)
    except TokenResponseError as exc:
        # The server accepted the refresh, so the old token is already spent.
        raise RefreshError(
            f"Token refresh answer unusable ({exc}); the token may have been rotated",
            permanent=False,
            status=response.status_code,
            ambiguous=True,
        ) from None


def _json_or_none(response: httpx2.Response) -> object:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None


def _transport_error(exc: httpx2.HTTPError, *, ambiguous: bool) -> RefreshError:
    what = describe_transport_error(exc)
    if ambiguous:
        message = f"Token refresh interrupted ({what}); the token may have been rotated"
    else:
        message = f"Token refresh could not reach the token endpoint ({what})"
    return RefreshError(message, permanent=False, ambiguous=ambiguous)
