"""The authorization-code grant: a one-time code plus its PKCE verifier become tokens."""

from __future__ import annotations

import json

import httpx2

from multicodex.auth.errors import LoginError
from multicodex.auth.tokens import (
    LoginResult,
    TokenResponseError,
    login_result,
    tokens_from_response,
)
from multicodex.config import CLIENT_ID, ORIGINATOR, Endpoints
from multicodex.neterrors import describe_transport_error

FORM_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "application/json",
    "originator": ORIGINATOR,
}
EXCHANGE_TIMEOUT = 30.0


async def exchange_code(
    http: httpx2.AsyncClient,
    endpoints: Endpoints,
    *,
    code: str,
    code_verifier: str,
    redirect_uri: str,
) -> LoginResult:
    """POST the code to the token endpoint; `LoginError` on any failure (no secrets)."""
    from authlib.oauth2.rfc6749.parameters import prepare_token_request  # only at a login

    # Public client: no secret, client_id travels in the form body.
    body = prepare_token_request(
        "authorization_code",
        redirect_uri=redirect_uri,
        code=code,
        client_id=CLIENT_ID,
        code_verifier=code_verifier,
    )
    try:
        response = await http.post(
            endpoints.token_url, content=body, headers=FORM_HEADERS, timeout=EXCHANGE_TIMEOUT
        )
    except httpx2.HTTPError as exc:
        raise LoginError(
            "Token exchange failed: could not reach the token endpoint "
            f"({describe_transport_error(exc)})"
        ) from None
    payload = _json_or_none(response)
    if not response.is_success:
        raise LoginError(f"Token exchange failed: {_describe_error(response.status_code, payload)}")
    try:
        return login_result(tokens_from_response(payload))
    except TokenResponseError as exc:
        raise LoginError(f"Token exchange failed: {exc}") from None


def _describe_error(status: int, payload: object) -> str:
    error = payload.get("error") if isinstance(payload, dict) else None
    if isinstance(error, dict):
        error = error.get("code") or error.get("type")
    if isinstance(error, str) and error:
        return f"{error} (HTTP {status})"
    return f"HTTP {status}"


def _json_or_none(response: httpx2.Response) -> object:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
