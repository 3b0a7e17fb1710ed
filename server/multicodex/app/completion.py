"""``multicodex/complete``: one request through the rotation engine, streamed as deltas.

Every delta is sent before the result (the caller sends the result after this returns),
and a cancelled request sends nothing more: cancellation propagates into the engine,
which closes the upstream stream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from multicodex.app.completion_errors import (
    model_unavailable,
    no_accounts,
    pool_exhausted,
    upstream_failure,
)
from multicodex.app.deltas import DeltaStream
from multicodex.app.errors import account_not_found, invalid_field, needs_reauth
from multicodex.app.hooks import ClientHooks
from multicodex.app.input_images import check_input_images
from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.views import account_ref
from multicodex.protocol import (
    AccountRef,
    CompleteParams,
    CompleteResult,
    FunctionTool,
    ImportSourceInfo,
    TokenUsage,
)
from multicodex.rotation.engine import RotationEngine
from multicodex.rotation.models import (
    AttemptStarted,
    CompletionRequest,
    CompletionResult,
    FailureNotice,
    ModelUnavailable,
    PoolExhausted,
    RotationEvent,
    SwitchNotice,
    TextDeltas,
    ToolCallDelta,
    UpstreamFailure,
    WaitNotice,
)


class Completions:
    def __init__(
        self,
        engine: RotationEngine,
        hooks: ClientHooks,
        snapshot: Callable[[], PoolSnapshot],
        import_sources: Callable[[], Awaitable[list[ImportSourceInfo]]],
        finished: Callable[[], None],
        clock: Callable[[], float],
    ) -> None:
        self._engine = engine
        self._hooks = hooks
        self._snapshot = snapshot
        self._import_sources = import_sources
        self._finished = finished
        self._clock = clock
        self._running: set[str] = set()

    async def complete(self, params: CompleteParams) -> CompleteResult:
        if params.stream_id in self._running:
            raise invalid_field("stream_id", "is already used by a running completion")
        check_input_images(params.input or [])
        snapshot = self._snapshot()
        if not snapshot.accounts:
            raise no_accounts(await self._import_sources())
        if params.account_key is not None:
            _check_named_account(params.account_key, snapshot)
        self._running.add(params.stream_id)
        try:
            return await self._run(params, snapshot)
        finally:
            self._running.discard(params.stream_id)
            self._finished()

    async def _run(self, params: CompleteParams, snapshot: PoolSnapshot) -> CompleteResult:
        hooks = self._hooks
        out = DeltaStream(
            params.stream_id,
            hooks.completion_delta,
            snapshot.ref,
            self._clock,
            send_json=hooks.completion_delta_json,
        )
        try:
            async with contextlib.aclosing(
                self._engine.stream(completion_request(params))
            ) as events:
                async for event in events:
                    if isinstance(event, CompletionResult):
                        return _result(params, event, out)
                    _forward(event, out)
        except ModelUnavailable as exc:
            raise model_unavailable(exc) from None
        except PoolExhausted as exc:
            named = snapshot.ref(params.account_key) if params.account_key else None
            raise pool_exhausted(exc, self._clock(), out.waited_seconds, named) from None
        except UpstreamFailure as exc:
            raise upstream_failure(exc, out.account_concerned(exc.account_key), out.count) from None
        raise asyncio.CancelledError  # the engine ended without a result: it was cancelled


def completion_request(params: CompleteParams) -> CompletionRequest:
    items: list[dict[str, Any]] = params.input or [
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": params.prompt or ""}],
        }
    ]
    return CompletionRequest(
        model=params.model,
        input=items,
        instructions=params.instructions or "",
        reasoning=params.reasoning.model_dump(exclude_none=True) if params.reasoning else None,
        tools=[_tool_body(tool) for tool in params.tools] if params.tools else None,
        tool_choice=_tool_choice(params),
        conversation_id=params.conversation_id,
        wait_for_reset_seconds=params.wait_for_reset_seconds,
        account_key=params.account_key,
    )


def _tool_body(tool: FunctionTool) -> dict[str, Any]:
    """A function tool as the backend takes it. ``strict`` is sent false unless asked for
    (the backend's default, true, refuses most schemas editors send); a tool without
    parameters takes an empty object."""
    body: dict[str, Any] = {
        "type": "function",
        "name": tool.name,
        "strict": bool(tool.strict),
        "parameters": tool.parameters or {"type": "object", "properties": {}},
    }
    if tool.description is not None:
        body["description"] = tool.description
    return body


def _tool_choice(params: CompleteParams) -> str | dict[str, Any] | None:
    choice = params.tool_choice
    if choice is None or isinstance(choice, str):
        return choice
    return choice.model_dump()


def _check_named_account(key: str, snapshot: PoolSnapshot) -> None:
    """The account a request names exists and can be used without a new login."""
    account = snapshot.find(key)
    if account is None:
        raise account_not_found(key, list(snapshot.refs()))
    if account.needs_reauth:
        raise needs_reauth(account_ref(account), account.reauth_reason)


def _forward(event: RotationEvent, out: DeltaStream) -> None:
    if isinstance(event, TextDeltas):
        out.on_text(event)
    elif isinstance(event, ToolCallDelta):
        out.on_tool_call(event)
    elif isinstance(event, AttemptStarted):
        out.on_attempt(event)
    elif isinstance(event, SwitchNotice):
        out.on_switch(event)
    elif isinstance(event, WaitNotice):
        out.on_wait(event)
    elif isinstance(event, FailureNotice):
        out.on_failure(event)


def _result(params: CompleteParams, result: CompletionResult, out: DeltaStream) -> CompleteResult:
    return CompleteResult(
        stream_id=params.stream_id,
        text=result.text,
        reasoning_text=result.reasoning_text,
        account=AccountRef(key=result.account_key, display_name=result.account_name),
        switches=out.switches,
        selection_reasons=result.reasons,
        attempts=result.attempts,
        usage=TokenUsage.model_validate(result.usage.model_dump()),
        response_id=result.response_id,
        model=result.model or params.model,
        status=result.status,
        incomplete_reason=result.incomplete_reason,
        output_items=result.output,
        deltas=out.count,
    )
