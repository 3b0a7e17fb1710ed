"""chatgpt.com/backend-api: responses (SSE), usage, models, accounts/check, reset credits."""

from __future__ import annotations

import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from multicodex_emulator import catalog, wire_errors
from multicodex_emulator.accounts import Meter
from multicodex_emulator.bodies import BodyError, read_body
from multicodex_emulator.context import AppContext, app_context
from multicodex_emulator.faults import (
    ErrorEventFault,
    FailedInStreamFault,
    LatencyFault,
    OkFault,
    OverloadedFault,
    ResponseFault,
    StaleUsageFault,
    StatusFault,
    ThrottleFault,
    UnauthorizedFault,
    UsageLatencyFault,
    UsageStatusFault,
)
from multicodex_emulator.grants import AccessFailure, AccessGrant
from multicodex_emulator.input_items import InputSummary, inspect_input
from multicodex_emulator.prompt_cache import input_tokens
from multicodex_emulator.scope import current_record, note
from multicodex_emulator.sse_events import (
    StreamHooks,
    StreamPlan,
    answer_deltas,
    reasoning_plan,
    stream_events,
)
from multicodex_emulator.state import EmulatorState
from multicodex_emulator.streaming import DroppedResponse, EventStreamResponse
from multicodex_emulator.tool_calls import assign_ids, marker_calls

_HTTP_FAULTS = (StatusFault, OverloadedFault, ThrottleFault, UnauthorizedFault)


def _authenticate(request: Request) -> AccessGrant | Response:
    """The bearer's account, or the 401/403 answer to send instead."""
    scheme, _, raw_token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw_token.strip():
        return wire_errors.unauthorized("malformed")
    state = app_context(request).state
    outcome = state.authenticate(raw_token.strip())
    if isinstance(outcome, AccessFailure):
        note(request, account_id=outcome.account_id, error_code=outcome.kind)
        return wire_errors.unauthorized(outcome.kind)
    note(request, account_id=outcome.account_id, token_id=outcome.token_id)
    claimed = request.headers.get("chatgpt-account-id")
    if state.settings.strict_account_header and claimed != outcome.account_id:
        return wire_errors.detail(403, "chatgpt-account-id does not match the access token")
    return outcome


# --- POST /codex/responses ---------------------------------------------------------------


async def responses(request: Request) -> Response:
    if request.headers.get("upgrade", "").lower() == "websocket":
        return wire_errors.detail(426, "WebSocket transport is not available; use HTTP")
    if request.method != "POST":
        return wire_errors.detail(405, "Method Not Allowed")
    grant = _authenticate(request)
    if isinstance(grant, Response):
        return grant
    context = app_context(request)
    account_id = grant.account_id
    context.state.count(account_id, "responses")
    try:
        body = (await read_body(request)).value
    except BodyError as exc:
        return wire_errors.detail(400, str(exc), _response_headers(request, context, account_id))
    refused = _refused_request(request, context, account_id, body)
    if refused is not None:
        return refused
    summary = inspect_input(body["input"])
    refused = _refused_input(request, context, account_id, summary)
    if refused is not None:
        return refused
    note(request, prompt_cache_key=body.get("prompt_cache_key"))
    fault = context.state.next_fault(account_id)
    if fault is not None:
        note(request, fault=fault.kind)
    if isinstance(fault, LatencyFault) and not await context.pause(fault.seconds):
        return DroppedResponse()
    admission = context.state.admit(
        account_id, body["model"], stale=isinstance(fault, StaleUsageFault)
    )
    if isinstance(fault, _HTTP_FAULTS):
        return _fault_response(request, context, account_id, fault, admission.meter)
    if admission.refusal is not None:
        context.state.count(account_id, "responses_429")
        note(request, error_code="usage_limit_reached")
        headers = _response_headers(request, context, account_id, admission.meter)
        return wire_errors.json_response(429, admission.refusal, headers)
    return _stream(request, context, account_id, body, fault, admission.meter, summary)


def _refused_request(
    request: Request, context: AppContext, account_id: str, body: Any
) -> Response | None:
    """The 400 for a malformed body, a model the plan lacks, or one above `version`."""
    state = context.state
    problem = _validation_problem(body, state.account_snapshot(account_id).plan, state)
    if problem is None:
        required = state.model_required_version(body["model"], request.headers.get("version"))
        problem = wire_errors.requires_newer_version(body["model"]) if required else None
    if problem is None:
        return None
    note(request, error_code="invalid_request")
    return wire_errors.detail(400, problem, _response_headers(request, context, account_id))


def _refused_input(
    request: Request, context: AppContext, account_id: str, summary: InputSummary
) -> Response | None:
    """The 400 for input items the backend refuses, or reasoning another account sealed."""
    note(
        request,
        input_items=summary.item_types,
        tool_outputs=summary.tool_outputs,
        images=summary.images,
        encrypted_reasoning=len(summary.encrypted_reasoning),
    )
    body: dict[str, Any] | None = None
    if summary.problem is not None:
        body = wire_errors.invalid_request(summary.problem.message, summary.problem.param)
    else:
        sealer = context.state.sealer
        foreign = [c for c in summary.encrypted_reasoning if not sealer.opens(account_id, c)]
        body = wire_errors.invalid_encrypted_content(foreign[0]) if foreign else None
    if body is None:
        return None
    note(request, error_code=body["error"]["code"] or "invalid_request")
    headers = _response_headers(request, context, account_id)
    return wire_errors.json_response(400, body, headers)


def _validation_problem(body: Any, plan: str, state: EmulatorState) -> str | None:
    if not isinstance(body, dict):
        return "Request body must be a JSON object"
    model = body.get("model")
    if not isinstance(model, str) or not model:
        return "Missing required parameter: 'model'."
    if body.get("store") is not False:
        return "Store must be set to false"
    if body.get("stream") is not True:
        return "Stream must be set to true"
    if not isinstance(body.get("input"), list):
        return "Input must be a list"
    if not state.model_allowed(model, plan):
        return wire_errors.model_not_supported(model)
    return None


def _fault_response(
    request: Request, context: AppContext, account_id: str, fault: ResponseFault, meter: Meter
) -> Response:
    headers = _response_headers(request, context, account_id, meter)
    if isinstance(fault, ThrottleFault):
        context.state.count(account_id, "responses_429")
        return wire_errors.json_response(
            429, wire_errors.throttled_body(fault.retry_after_seconds), headers
        )
    context.state.count(account_id, "responses_failed")
    if isinstance(fault, UnauthorizedFault):
        return wire_errors.unauthorized("expired", fault.code)
    if isinstance(fault, OverloadedFault):
        return wire_errors.json_response(503, wire_errors.overloaded_body(fault.message), headers)
    assert isinstance(fault, StatusFault)
    body = fault.body if fault.body is not None else wire_errors.default_status_body(fault.status)
    return wire_errors.json_response(fault.status, body, headers)


def _stream(
    request: Request,
    context: AppContext,
    account_id: str,
    body: dict[str, Any],
    fault: ResponseFault | None,
    meter: Meter,
    summary: InputSummary,
) -> Response:
    state = context.state
    plan = _plan(state, account_id, body, fault, summary)
    if isinstance(fault, FailedInStreamFault | ErrorEventFault):
        state.count(account_id, "responses_failed")
    note(
        request,
        response_id=plan.response_id,
        tool_calls=[call.call_id for call in plan.tool_calls],
        cached_tokens=plan.cached_tokens,
    )
    hooks = StreamHooks(
        wait=context.stream_pause, on_success=lambda: state.charge(account_id, meter)
    )
    return EventStreamResponse(
        stream_events(plan, hooks),
        _response_headers(request, context, account_id, meter),
        current_record(request),
        on_client_disconnect=lambda: state.count(account_id, "client_disconnects"),
    )


def _plan(
    state: EmulatorState,
    account_id: str,
    body: dict[str, Any],
    fault: ResponseFault | None,
    summary: InputSummary,
) -> StreamPlan:
    fails_early = isinstance(fault, FailedInStreamFault | ErrorEventFault)
    calls = () if fails_early else state.tool_scripts.take(account_id) or marker_calls(body)
    rate = state.settings.tokens_per_second
    return StreamPlan(
        response_id=f"resp_{secrets.token_hex(16)}",
        model=body["model"],
        created_at=int(state.now()),
        deltas=[] if calls else _answer_text(state, account_id, fault, summary),
        input_tokens=input_tokens(body["input"]),
        interval=1.0 / rate if rate > 0 else 0.0,
        reasoning=reasoning_plan(body, lambda item_id: state.sealer.seal(account_id, item_id)),
        fault=fault,
        tool_calls=tuple(assign_ids(calls)),
        cached_tokens=state.prompt_cache.serve(account_id, body),
        list_output=state.settings.completed_output_items,
    )


def _answer_text(
    state: EmulatorState, account_id: str, fault: ResponseFault | None, summary: InputSummary
) -> list[str]:
    """`Hello from <email>.` then words, or what the tools said when the input ends with
    their outputs."""
    email = state.account_snapshot(account_id).email
    if summary.tool_output_texts:
        return [f"Hello from {email}.", *(f" tool said: {t}" for t in summary.tool_output_texts)]
    count = (
        fault.deltas
        if isinstance(fault, OkFault) and fault.deltas
        else state.deltas_for(account_id)
    )
    return answer_deltas(email, count)


def _response_headers(
    request: Request, context: AppContext, account_id: str, meter: Meter = "included"
) -> dict[str, str]:
    request_id = f"req_{secrets.token_hex(16)}"
    turn_state = request.headers.get("x-codex-turn-state") or f"ts_{secrets.token_hex(12)}"
    # The ETag of the list /codex/models gives this client: the Codex CLI fetches the
    # models again after every response whose x-models-etag differs from it.
    state = context.state
    plan = state.account_snapshot(account_id).plan
    models_etag = catalog.etag_of(state.models_document(request.headers.get("version"), plan))
    return {
        **state.rate_headers(account_id, meter),
        "x-models-etag": models_etag,
        "x-oai-request-id": request_id,
        "x-request-id": request_id,
        "x-codex-turn-state": turn_state,
    }


# --- GET /wham/usage ---------------------------------------------------------------------


async def usage(request: Request) -> Response:
    grant = _authenticate(request)
    if isinstance(grant, Response):
        return grant
    context = app_context(request)
    context.state.count(grant.account_id, "usage_fetches")
    fault = context.state.next_usage_fault(grant.account_id)
    if fault is not None:
        note(request, fault=fault.kind)
    if isinstance(fault, UsageLatencyFault) and not await context.pause(fault.seconds):
        return DroppedResponse()
    if isinstance(fault, UsageStatusFault):
        body = (
            fault.body if fault.body is not None else wire_errors.default_status_body(fault.status)
        )
        return wire_errors.json_response(fault.status, body)
    return JSONResponse(context.state.usage_payload(grant.account_id))


# --- GET /codex/models -------------------------------------------------------------------


async def models(request: Request) -> Response:
    grant = _authenticate(request)
    if isinstance(grant, Response):
        return grant
    state = app_context(request).state
    plan = state.account_snapshot(grant.account_id).plan
    document = state.models_document(request.query_params.get("client_version"), plan)
    etag = catalog.etag_of(document)
    headers = {"etag": etag, "x-models-etag": etag}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return JSONResponse(document, headers=headers)


# --- GET /wham/accounts/check ------------------------------------------------------------


async def accounts_check(request: Request) -> Response:
    grant = _authenticate(request)
    if isinstance(grant, Response):
        return grant
    state = app_context(request).state
    account = state.account_snapshot(grant.account_id)
    origin = "NO_CONSTRAINT"
    if state.settings.workspace_origin == "host":
        origin = f"https://{request.headers.get('host', '127.0.0.1')}"
    entry = {
        "id": account.account_id,
        "account_id": account.account_id,
        "plan_type": account.plan,
        "structure": "personal",
        "workspace_backend_origin": origin,
        "account_routing_override": "NO_CONSTRAINT",
    }
    return JSONResponse(
        {
            "accounts": [entry],
            "account_ordering": [account.account_id],
            "default_account_id": account.account_id,
        }
    )


# --- wham/rate-limit-reset-credits ------------------------------------------------------


async def reset_credits(request: Request) -> Response:
    grant = _authenticate(request)
    if isinstance(grant, Response):
        return grant
    return JSONResponse(app_context(request).state.reset_credits(grant.account_id))


async def consume_reset_credit(request: Request) -> Response:
    """Spend one banked reset credit; `redeem_request_id` makes a retry harmless."""
    grant = _authenticate(request)
    if isinstance(grant, Response):
        return grant
    try:
        body = (await read_body(request)).value
    except BodyError as exc:
        return wire_errors.detail(400, str(exc))
    redeem_id = body.get("redeem_request_id") if isinstance(body, dict) else None
    if not isinstance(redeem_id, str) or not redeem_id.strip():
        note(request, error_code="invalid_request")
        return wire_errors.detail(400, "Missing required parameter: 'redeem_request_id'.")
    answer = app_context(request).state.redeem_reset_credit(grant.account_id, redeem_id)
    return JSONResponse(answer)


def backend_routes() -> list[Route]:
    reset_credits_path = "/backend-api/wham/rate-limit-reset-credits"
    return [
        Route("/backend-api/codex/responses", responses, methods=["GET", "POST"]),
        Route("/backend-api/wham/usage", usage, methods=["GET"]),
        Route("/backend-api/codex/usage", usage, methods=["GET"]),
        Route("/backend-api/codex/models", models, methods=["GET"]),
        Route("/backend-api/wham/accounts/check", accounts_check, methods=["GET"]),
        Route(reset_credits_path, reset_credits, methods=["GET"]),
        Route(f"{reset_credits_path}/consume", consume_reset_credit, methods=["POST"]),
    ]
