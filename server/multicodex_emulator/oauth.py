"""auth.openai.com: authorize, token (code, refresh, token exchange), revoke, device code."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from multicodex.config import CLIENT_ID
from multicodex_emulator import wire_errors
from multicodex_emulator.bodies import BodyError, read_body
from multicodex_emulator.context import app_context
from multicodex_emulator.faults import TokenDropFault, TokenFault, TokenSlowFault, TokenStatusFault
from multicodex_emulator.grants import DeviceApproval
from multicodex_emulator.scope import note
from multicodex_emulator.state import AuthorizationDenied, Granted, GrantError
from multicodex_emulator.streaming import DroppedResponse

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # noqa: S105
_LOOPBACK_CALLBACK = re.compile(r"^http://(localhost|127\.0\.0\.1):\d{1,5}/auth/callback$")


def redirect_uri_allowed(uri: str) -> bool:
    """The real allow-list holds ports 1455 and 1457; any loopback port is let in for tests."""
    return bool(_LOOPBACK_CALLBACK.match(uri))


async def authorize(request: Request) -> Response:
    params = request.query_params
    redirect_uri = params.get("redirect_uri", "")
    problem = _authorize_problem(params.get, redirect_uri)
    if problem is not None:
        return wire_errors.oauth_error(400, "invalid_request", problem)
    result = app_context(request).state.approve_authorization(
        params["client_id"], redirect_uri, params["code_challenge"]
    )
    query: dict[str, str]
    if isinstance(result, AuthorizationDenied):
        query = {"error": result.error, "error_description": result.description}
    else:
        query = {"code": result}
    if "state" in params:
        query["state"] = params["state"]
    return RedirectResponse(f"{redirect_uri}?{urlencode(query)}", status_code=302)


def _authorize_problem(get: Any, redirect_uri: str) -> str | None:
    if get("response_type") != "code":
        return "response_type must be 'code'"
    if get("client_id") != CLIENT_ID:
        return "Unknown client_id"
    if not redirect_uri_allowed(redirect_uri):
        return "redirect_uri is not allowed for this client"
    if not get("code_challenge") or get("code_challenge_method") != "S256":
        return "PKCE with code_challenge_method=S256 is required"
    return None


async def token(request: Request) -> Response:
    context = app_context(request)
    fault = context.state.next_token_fault()
    if fault is not None:
        note(request, fault=fault.kind)
    if isinstance(fault, TokenStatusFault):
        return wire_errors.json_response(fault.status, _token_fault_body(fault))
    if isinstance(fault, TokenDropFault) and not fault.after_rotate:
        return DroppedResponse()
    response = await _grant(request)
    if isinstance(fault, TokenDropFault):
        return DroppedResponse()
    if isinstance(fault, TokenSlowFault) and not await context.pause(fault.seconds):
        return DroppedResponse()
    latency = context.state.settings.token_latency
    if latency > 0 and not await context.pause(latency):
        return DroppedResponse()
    return response


def _token_fault_body(fault: TokenFault) -> Any:
    assert isinstance(fault, TokenStatusFault)
    if fault.body is not None:
        return fault.body
    return {"error": "temporary-failure"} if fault.status >= 500 else {"error": "invalid_request"}


async def _grant(request: Request) -> Response:
    try:
        fields = _string_fields((await read_body(request)).value)
    except BodyError as exc:
        return wire_errors.oauth_error(400, "invalid_request", str(exc))
    grant_type = fields.get("grant_type", "")
    note(request, grant_type=grant_type or None)
    if fields.get("client_id") != CLIENT_ID:
        return wire_errors.invalid_client()
    if grant_type == "refresh_token":
        return _refresh(request, fields)
    if grant_type == "authorization_code":
        return _exchange_code(request, fields)
    if grant_type == TOKEN_EXCHANGE_GRANT:
        return _token_exchange(request, fields)
    return wire_errors.oauth_error(
        400, "unsupported_grant_type", f"Unsupported grant_type {grant_type!r}"
    )


def _refresh(request: Request, fields: dict[str, str]) -> Response:
    refresh_token = fields.get("refresh_token", "")
    if not refresh_token:
        return wire_errors.oauth_error(400, "invalid_request", "refresh_token is required")
    state = app_context(request).state
    outcome = state.refresh(refresh_token)
    note(request, account_id=outcome.account_id)
    if isinstance(outcome, Granted):
        note(request, granted_at=time.time())
        return wire_errors.json_response(200, outcome.tokens.model_dump())
    status = state.settings.reused_status if outcome.code == "refresh_token_reused" else 401
    note(request, error_code=outcome.code)
    return wire_errors.refresh_refused(outcome.code, status)


def _exchange_code(request: Request, fields: dict[str, str]) -> Response:
    try:
        granted = app_context(request).state.exchange_code(
            fields.get("code", ""),
            fields["client_id"],
            fields.get("redirect_uri", ""),
            fields.get("code_verifier", ""),
        )
    except GrantError as exc:
        note(request, error_code="invalid_grant")
        return wire_errors.oauth_error(400, "invalid_grant", str(exc))
    note(request, account_id=granted.account_id)
    return wire_errors.json_response(200, granted.tokens.model_dump())


def _token_exchange(request: Request, fields: dict[str, str]) -> Response:
    if fields.get("requested_token") != "openai-api-key":
        return wire_errors.oauth_error(
            400, "invalid_request", "requested_token must be openai-api-key"
        )
    api_key = app_context(request).state.api_key_for(fields.get("subject_token", ""))
    if api_key is None:
        return wire_errors.oauth_error(
            400, "invalid_grant", "subject_token is not a valid id_token"
        )
    return wire_errors.json_response(200, {"access_token": api_key})


async def revoke(request: Request) -> Response:
    try:
        fields = _string_fields((await read_body(request)).value)
    except BodyError as exc:
        return wire_errors.oauth_error(400, "invalid_request", str(exc))
    if "client_id" in fields and fields["client_id"] != CLIENT_ID:
        return wire_errors.invalid_client()
    if not fields.get("token"):
        return wire_errors.oauth_error(400, "invalid_request", "token is required")
    app_context(request).state.revoke_token(fields["token"])
    return wire_errors.json_response(200, {})


async def device_usercode(request: Request) -> Response:
    try:
        fields = _string_fields((await read_body(request)).value)
    except BodyError as exc:
        return wire_errors.oauth_error(400, "invalid_request", str(exc))
    if fields.get("client_id") != CLIENT_ID:
        return wire_errors.invalid_client()
    state = app_context(request).state
    device = state.start_device()
    return wire_errors.json_response(
        200,
        {
            "device_auth_id": device.device_auth_id,
            "user_code": device.user_code,
            "usercode": device.user_code,
            "interval": str(state.settings.device_poll_interval),
        },
    )


async def device_token(request: Request) -> Response:
    try:
        fields = _string_fields((await read_body(request)).value)
    except BodyError as exc:
        return wire_errors.oauth_error(400, "invalid_request", str(exc))
    issuer = str(request.base_url).rstrip("/")
    outcome = app_context(request).state.poll_device(
        fields.get("device_auth_id", ""),
        fields.get("user_code", ""),
        f"{issuer}/deviceauth/callback",
    )
    if outcome is None:
        return wire_errors.oauth_error(404, "not_found", "Unknown or expired device authorization")
    if not isinstance(outcome, DeviceApproval):
        return wire_errors.oauth_error(
            403, "authorization_pending", "The user has not approved yet"
        )
    note(request, account_id=outcome.account_id)
    return wire_errors.json_response(
        200,
        {
            "authorization_code": outcome.authorization_code,
            "code_challenge": outcome.code_challenge,
            "code_verifier": outcome.code_verifier,
        },
    )


async def device_page(request: Request) -> Response:
    return HTMLResponse(
        "<!doctype html><title>Emulator device login</title>"
        "<p>Device codes of this emulator approve themselves after a poll, or through "
        "<code>POST /_emu/device/approve</code>.</p>"
    )


def _string_fields(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BodyError("Request body must be an object")
    return {str(k): v if isinstance(v, str) else str(v) for k, v in value.items() if v is not None}


def oauth_routes() -> list[Route]:
    return [
        Route("/oauth/authorize", authorize, methods=["GET"]),
        Route("/oauth/token", token, methods=["POST"]),
        Route("/oauth/revoke", revoke, methods=["POST"]),
        Route("/api/accounts/deviceauth/usercode", device_usercode, methods=["POST"]),
        Route("/api/accounts/deviceauth/token", device_token, methods=["POST"]),
        Route("/codex/device", device_page, methods=["GET"]),
    ]
