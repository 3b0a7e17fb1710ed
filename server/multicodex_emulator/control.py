"""The emulator-only control API under `/_emu` (never part of the OpenAI wire).

JSON in, JSON out. Bad input is a 400 `{"error": "<what is wrong>"}`, an unknown account
a 404 in the same shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from multicodex_emulator.context import app_context
from multicodex_emulator.faults import (
    parse_response_faults,
    parse_token_faults,
    parse_usage_faults,
)
from multicodex_emulator.models import (
    AccountUpdate,
    AdvanceClockRequest,
    AuthorizeAsRequest,
    AuthorizeDenyRequest,
    CreateAccountRequest,
    CreditsUpdate,
    DeactivateRequest,
    DeviceApproveRequest,
    FaultScriptRequest,
    MinimalVersionRequest,
    SettingsUpdate,
    SetUsageRequest,
    ToolCallScriptRequest,
)
from multicodex_emulator.state import EmulatorState, UnknownAccountError

_M = TypeVar("_M", bound=BaseModel)
Handler = Callable[[Request], Awaitable[Any]]
PREFIX = "/_emu"


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Turn a handler returning JSON-able data into an endpoint with uniform errors."""

    async def endpoint(request: Request) -> Response:
        try:
            result = await handler(request)
        except ControlError as exc:
            return JSONResponse({"error": str(exc)}, status_code=exc.status)
        except ValidationError as exc:
            return JSONResponse({"error": describe_validation_error(exc)}, status_code=400)
        except UnknownAccountError as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        if isinstance(result, BaseModel):
            result = result.model_dump(mode="json")
        return JSONResponse(result)

    return endpoint


def describe_validation_error(exc: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(p) for p in error['loc']) or 'body'}: {error['msg']}"
        for error in exc.errors()
    ]
    return "invalid input: " + "; ".join(problems)


async def _parse(request: Request, model: type[_M]) -> _M:
    raw = await request.body()
    if not raw.strip():
        return model.model_validate({})
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise ControlError(400, "body is not valid JSON") from None
        raise


def _state(request: Request) -> EmulatorState:
    return app_context(request).state


def _account_id(request: Request) -> str:
    return str(request.path_params["account_id"])


# --- handlers ----------------------------------------------------------------------------


async def health(request: Request) -> Any:
    return {"ok": True, "now": _state(request).now()}


async def get_settings(request: Request) -> Any:
    return _state(request).settings


async def update_settings(request: Request) -> Any:
    return _state(request).update_settings(await _parse(request, SettingsUpdate))


async def list_accounts(request: Request) -> Any:
    return [a.model_dump(mode="json") for a in _state(request).accounts()]


async def create_account(request: Request) -> Any:
    return _state(request).add_account(await _parse(request, CreateAccountRequest))


async def get_account(request: Request) -> Any:
    return _state(request).view(_account_id(request))


async def update_account(request: Request) -> Any:
    return _state(request).update_account(
        _account_id(request), await _parse(request, AccountUpdate)
    )


async def issue_tokens(request: Request) -> Any:
    return _state(request).issue_tokens(_account_id(request))


async def set_usage(request: Request) -> Any:
    return _state(request).set_usage(_account_id(request), await _parse(request, SetUsageRequest))


async def get_usage(request: Request) -> Any:
    return _state(request).usage_payload(_account_id(request))


async def set_credits(request: Request) -> Any:
    return _state(request).set_credits(_account_id(request), await _parse(request, CreditsUpdate))


async def set_minimal_version(request: Request) -> Any:
    body = await _parse(request, MinimalVersionRequest)
    slug = str(request.path_params["slug"])
    model = _state(request).set_minimal_client_version(slug, body.minimal_client_version)
    return {"slug": model.slug, "minimal_client_version": model.minimal_client_version}


async def script_faults(request: Request) -> Any:
    script = await _parse(request, FaultScriptRequest)
    faults = parse_response_faults(script.faults)
    pending = _state(request).script_faults(_account_id(request), faults, script.append)
    return {"pending": pending}


async def clear_faults(request: Request) -> Any:
    return {"pending": _state(request).script_faults(_account_id(request), [])}


def _tool_call_owner(request: Request) -> str | None:
    account_id = request.path_params.get("account_id")
    return str(account_id) if account_id is not None else None


async def script_tool_calls(request: Request) -> Any:
    script = await _parse(request, ToolCallScriptRequest)
    owner = _tool_call_owner(request)
    return {"pending": _state(request).script_tool_calls(owner, script.calls)}


async def clear_tool_calls(request: Request) -> Any:
    return {"pending": _state(request).clear_tool_calls(_tool_call_owner(request))}


async def script_usage_faults(request: Request) -> Any:
    script = await _parse(request, FaultScriptRequest)
    faults = parse_usage_faults(script.faults)
    pending = _state(request).script_usage_faults(_account_id(request), faults, script.append)
    return {"pending": pending}


async def clear_usage_faults(request: Request) -> Any:
    return {"pending": _state(request).script_usage_faults(_account_id(request), [])}


async def script_token_faults(request: Request) -> Any:
    script = await _parse(request, FaultScriptRequest)
    faults = parse_token_faults(script.faults)
    return {"pending": _state(request).script_token_faults(faults, script.append)}


async def clear_token_faults(request: Request) -> Any:
    return {"pending": _state(request).script_token_faults([])}


def _token_action(action: str) -> Handler:
    async def handler(request: Request) -> Any:
        operation: Callable[[str], int] = getattr(_state(request), action)
        return {"affected": operation(_account_id(request))}

    return handler


async def deactivate(request: Request) -> Any:
    body = await _parse(request, DeactivateRequest)
    return _state(request).set_deactivated(_account_id(request), body.deactivated)


async def account_counters(request: Request) -> Any:
    return _state(request).counters(_account_id(request))


async def all_counters(request: Request) -> Any:
    state = _state(request)
    return {a.account_id: state.counters(a.account_id).model_dump() for a in state.accounts()}


async def get_clock(request: Request) -> Any:
    return {"now": _state(request).now()}


async def advance_clock(request: Request) -> Any:
    body = await _parse(request, AdvanceClockRequest)
    return {"now": _state(request).advance_clock(body.seconds)}


async def authorize_as(request: Request) -> Any:
    body = await _parse(request, AuthorizeAsRequest)
    _state(request).authorize_as(body.account_id)
    return {"account_id": body.account_id}


async def authorize_deny(request: Request) -> Any:
    body = await _parse(request, AuthorizeDenyRequest)
    _state(request).deny_next_authorize(body.error, body.error_description)
    return body


async def approve_device(request: Request) -> Any:
    body = await _parse(request, DeviceApproveRequest)
    _state(request).approve_device(body.user_code, body.account_id)
    return {"approved": body.user_code}


async def list_requests(request: Request) -> Any:
    params = request.query_params
    try:
        since = int(params.get("since", "0"))
    except ValueError:
        raise ControlError(400, "since must be an integer request id") from None
    records = _state(request).log.snapshot(
        path=params.get("path"), account_id=params.get("account_id"), since_id=since
    )
    return [r.model_dump(mode="json") for r in records]


async def clear_requests(request: Request) -> Any:
    _state(request).log.clear()
    return {"cleared": True}


def _route(path: str, handler: Handler, *methods: str) -> Route:
    return Route(f"{PREFIX}{path}", _endpoint(handler), methods=list(methods))


def control_routes() -> list[Route]:
    account = "/accounts/{account_id}"
    return [
        _route("/health", health, "GET"),
        _route("/settings", get_settings, "GET"),
        _route("/settings", update_settings, "POST", "PATCH"),
        _route("/accounts", list_accounts, "GET"),
        _route("/accounts", create_account, "POST"),
        _route(account, get_account, "GET"),
        _route(account, update_account, "PATCH", "POST"),
        _route(f"{account}/tokens", issue_tokens, "POST"),
        _route(f"{account}/usage", get_usage, "GET"),
        _route(f"{account}/usage", set_usage, "POST"),
        _route(f"{account}/credits", set_credits, "POST"),
        _route("/models/{slug}/minimal-client-version", set_minimal_version, "POST"),
        _route(f"{account}/faults", script_faults, "POST"),
        _route(f"{account}/faults", clear_faults, "DELETE"),
        _route(f"{account}/tool-calls", script_tool_calls, "POST"),
        _route(f"{account}/tool-calls", clear_tool_calls, "DELETE"),
        _route("/tool-calls", script_tool_calls, "POST"),
        _route("/tool-calls", clear_tool_calls, "DELETE"),
        _route(f"{account}/usage-faults", script_usage_faults, "POST"),
        _route(f"{account}/usage-faults", clear_usage_faults, "DELETE"),
        _route(f"{account}/expire-access-tokens", _token_action("expire_access_tokens"), "POST"),
        _route(f"{account}/revoke-access-tokens", _token_action("revoke_access_tokens"), "POST"),
        _route(f"{account}/expire-refresh-tokens", _token_action("expire_refresh_tokens"), "POST"),
        _route(f"{account}/revoke-refresh-tokens", _token_action("revoke_refresh_tokens"), "POST"),
        _route(f"{account}/deactivate", deactivate, "POST"),
        _route(f"{account}/counters", account_counters, "GET"),
        _route("/counters", all_counters, "GET"),
        _route("/token-faults", script_token_faults, "POST"),
        _route("/token-faults", clear_token_faults, "DELETE"),
        _route("/clock", get_clock, "GET"),
        _route("/clock/advance", advance_clock, "POST"),
        _route("/authorize-as", authorize_as, "POST"),
        _route("/authorize-deny", authorize_deny, "POST"),
        _route("/device/approve", approve_device, "POST"),
        _route("/requests", list_requests, "GET"),
        _route("/requests", clear_requests, "DELETE"),
    ]
