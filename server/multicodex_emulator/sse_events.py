"""The Responses API event sequence (codex-wire.md §3.4), paced and shaped by faults."""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from multicodex_emulator.faults import (
    DropMidStreamFault,
    ErrorEventFault,
    FailedInStreamFault,
    IncompleteFault,
    ResponseFault,
    StallFault,
)
from multicodex_emulator.tool_calls import FunctionCall
from multicodex_emulator.wire_errors import stream_failure_message

_WORDS = (
    "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
    "juliett", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo",
    "sierra", "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu",
)  # fmt: skip


Event = dict[str, Any]
Emitted = Event | list[Event]
"""What the event source yields: one event, or several to be written at once."""
UNPACED_BATCH = 32
"""Unpaced answers write this many deltas at a time: one write per delta would make the
emulator, not the client under test, the slowest part of a throughput measurement."""
ARGUMENTS_CHUNK = 12
"""Characters of a function call's arguments per `function_call_arguments.delta`."""


class StreamDrop(Exception):
    """Raised by the event source: end the stream now, without a terminal event."""

    def __init__(self, mode: Literal["reset", "eof"]) -> None:
        super().__init__(mode)
        self.mode: Literal["reset", "eof"] = mode


@dataclass(frozen=True)
class ReasoningPlan:
    item_id: str
    summary: bool
    encrypted_content: str | None
    """Sealed for the answering account when `include` asks for it."""


@dataclass(frozen=True)
class StreamPlan:
    response_id: str
    model: str
    created_at: int
    deltas: list[str]
    input_tokens: int
    interval: float
    """Seconds between two text deltas."""
    reasoning: ReasoningPlan | None = None
    fault: ResponseFault | None = None
    tool_calls: tuple[FunctionCall, ...] = ()
    """Emitted after the text; an answer with tool calls and no deltas has no message."""
    cached_tokens: int = 0
    list_output: bool = False
    """List the streamed items in `response.completed.output` (else it is empty)."""


@dataclass(frozen=True)
class StreamHooks:
    wait: Callable[[float], Awaitable[None]]
    """Sleep that the server can interrupt (raises StreamDrop on shutdown)."""
    on_success: Callable[[], None]
    """Called just before the successful terminal event (charges the account)."""


def answer_deltas(email: str, count: int) -> list[str]:
    """Deterministic text that names the answering account: "Hello from a@x.test. alpha…"."""
    deltas = [f"Hello from {email}."]
    deltas.extend(f" {_WORDS[i % len(_WORDS)]}" for i in range(count - 1))
    return deltas


def reasoning_plan(body: dict[str, Any], seal: Callable[[str], str]) -> ReasoningPlan | None:
    """The reasoning item a request asks for; `seal(item_id)` makes its encrypted content."""
    reasoning = body.get("reasoning")
    if not isinstance(reasoning, dict) or reasoning.get("effort") in (None, "none"):
        return None
    include = body.get("include")
    item_id = f"rs_{secrets.token_hex(12)}"
    encrypted = isinstance(include, list) and "reasoning.encrypted_content" in include
    return ReasoningPlan(
        item_id=item_id,
        summary=reasoning.get("summary") not in (None, "none"),
        encrypted_content=seal(item_id) if encrypted else None,
    )


def sse_frame(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


class _Sequencer:
    def __init__(self) -> None:
        self.number = 0

    def event(self, event_type: str, **fields: Any) -> dict[str, Any]:
        event = {"type": event_type, "sequence_number": self.number, **fields}
        self.number += 1
        return event


async def stream_events(plan: StreamPlan, hooks: StreamHooks) -> AsyncIterator[Emitted]:
    seq = _Sequencer()
    fault = plan.fault
    if isinstance(fault, StallFault) and fault.before_first_event:
        await hooks.wait(fault.seconds)
    yield seq.event("response.created", response=_response(plan, "in_progress"))
    if isinstance(fault, FailedInStreamFault):
        yield _failed(seq, plan, fault)
        return
    if isinstance(fault, ErrorEventFault):
        message = fault.message or stream_failure_message(fault.code)
        yield seq.event("error", code=fault.code, message=message, param=None)
        return
    yield seq.event("response.in_progress", response=_response(plan, "in_progress"))
    output: list[Event] = []
    if plan.reasoning is not None:
        for event in _reasoning_events(seq, plan.reasoning, len(output)):
            yield _collect(event, output)
    async for emitted in _message_events(seq, plan, hooks, len(output)):
        yield _collect(emitted, output)
    for call in plan.tool_calls:
        for event in _function_call_events(seq, call, len(output)):
            yield _collect(event, output)
    hooks.on_success()
    yield _terminal(seq, plan, fault, output if plan.list_output else [])


def _collect(emitted: Emitted, output: list[Event]) -> Emitted:
    """Pass `emitted` on, keeping the item of an `output_item.done` in `output`."""
    if isinstance(emitted, dict) and emitted["type"] == "response.output_item.done":
        output.append(emitted["item"])
    return emitted


async def _message_events(
    seq: _Sequencer, plan: StreamPlan, hooks: StreamHooks, output_index: int
) -> AsyncIterator[Emitted]:
    """The assistant message; without text (a tool-call answer) only the fault's effect."""
    message_id = f"msg_{secrets.token_hex(12)}"
    if not plan.deltas:
        async for emitted in _text_deltas(seq, plan, hooks, message_id, output_index):
            yield emitted
        return
    for event in _message_open(seq, message_id, output_index):
        yield event
    async for emitted in _text_deltas(seq, plan, hooks, message_id, output_index):
        yield emitted
    for event in _message_close(seq, message_id, output_index, "".join(plan.deltas)):
        yield event


async def _text_deltas(
    seq: _Sequencer, plan: StreamPlan, hooks: StreamHooks, item_id: str, output_index: int
) -> AsyncIterator[Emitted]:
    """Paced: one delta after each interval. Unpaced: lists of up to UNPACED_BATCH deltas,
    one write each, cut where a drop or stall fault takes effect."""
    fault = plan.fault
    total = len(plan.deltas)
    cut = (
        min(fault.after_deltas, total)
        if isinstance(fault, DropMidStreamFault)
        or (isinstance(fault, StallFault) and not fault.before_first_event)
        else None
    )
    batch = UNPACED_BATCH if plan.interval <= 0 else 1
    index = 0
    while True:
        if index == cut and isinstance(fault, DropMidStreamFault):
            raise StreamDrop(fault.mode)
        if index == cut and isinstance(fault, StallFault):
            await hooks.wait(fault.seconds)
        if index == total:
            return
        end = min(index + batch, total)
        if cut is not None and index < cut < end:
            end = cut
        await hooks.wait(plan.interval)
        events = [
            seq.event(
                "response.output_text.delta",
                item_id=item_id,
                output_index=output_index,
                content_index=0,
                delta=plan.deltas[number],
                logprobs=[],
            )
            for number in range(index, end)
        ]
        yield events if batch > 1 else events[0]
        index = end


def _function_call_events(
    seq: _Sequencer, call: FunctionCall, output_index: int
) -> Iterator[dict[str, Any]]:
    common = {"item_id": call.item_id, "output_index": output_index}
    yield seq.event(
        "response.output_item.added", output_index=output_index, item=call.item("in_progress")
    )
    for start in range(0, len(call.arguments), ARGUMENTS_CHUNK):
        delta = call.arguments[start : start + ARGUMENTS_CHUNK]
        yield seq.event("response.function_call_arguments.delta", **common, delta=delta)
    yield seq.event(
        "response.function_call_arguments.done",
        **common,
        name=call.name,
        arguments=call.arguments,
    )
    yield seq.event(
        "response.output_item.done", output_index=output_index, item=call.item("completed")
    )


def _reasoning_events(
    seq: _Sequencer, reasoning: ReasoningPlan, output_index: int
) -> Iterator[dict[str, Any]]:
    item_id = reasoning.item_id
    yield seq.event(
        "response.output_item.added",
        output_index=output_index,
        item={"id": item_id, "type": "reasoning", "summary": []},
    )
    summary: list[dict[str, str]] = []
    if reasoning.summary:
        text = "**Planning the answer**\n\nThe emulator thinks briefly."
        common = {"item_id": item_id, "output_index": output_index, "summary_index": 0}
        yield seq.event(
            "response.reasoning_summary_part.added",
            **common,
            part={"type": "summary_text", "text": ""},
        )
        yield seq.event("response.reasoning_summary_text.delta", **common, delta=text)
        yield seq.event("response.reasoning_summary_text.done", **common, text=text)
        yield seq.event(
            "response.reasoning_summary_part.done",
            **common,
            part={"type": "summary_text", "text": text},
        )
        summary = [{"type": "summary_text", "text": text}]
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": summary}
    if reasoning.encrypted_content is not None:
        item["encrypted_content"] = reasoning.encrypted_content
    yield seq.event("response.output_item.done", output_index=output_index, item=item)


def _message_open(seq: _Sequencer, item_id: str, output_index: int) -> Iterator[dict[str, Any]]:
    yield seq.event(
        "response.output_item.added",
        output_index=output_index,
        item={
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "in_progress",
            "content": [],
        },
    )
    yield seq.event(
        "response.content_part.added",
        item_id=item_id,
        output_index=output_index,
        content_index=0,
        part={"type": "output_text", "text": "", "annotations": []},
    )


def _message_close(
    seq: _Sequencer, item_id: str, output_index: int, text: str
) -> Iterator[dict[str, Any]]:
    part = {"type": "output_text", "text": text, "annotations": []}
    common = {"item_id": item_id, "output_index": output_index, "content_index": 0}
    yield seq.event("response.output_text.done", **common, text=text, logprobs=[])
    yield seq.event("response.content_part.done", **common, part=part)
    yield seq.event(
        "response.output_item.done",
        output_index=output_index,
        item={
            "id": item_id,
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [part],
        },
    )


def _terminal(
    seq: _Sequencer, plan: StreamPlan, fault: ResponseFault | None, output: list[Event]
) -> dict[str, Any]:
    if isinstance(fault, IncompleteFault):
        response = _response(plan, "incomplete", usage=_usage(plan), output=output)
        response["incomplete_details"] = {"reason": fault.reason}
        return seq.event("response.incomplete", response=response)
    response = _response(plan, "completed", usage=_usage(plan), output=output)
    return seq.event("response.completed", response=response)


def _failed(seq: _Sequencer, plan: StreamPlan, fault: FailedInStreamFault) -> dict[str, Any]:
    response = _response(plan, "failed")
    response["error"] = {
        "code": fault.code,
        "message": fault.message or stream_failure_message(fault.code),
    }
    return seq.event("response.failed", response=response)


def _response(
    plan: StreamPlan,
    status: str,
    usage: dict[str, Any] | None = None,
    output: list[Event] | None = None,
) -> dict[str, Any]:
    # The real backend sends an empty `output` on completion; clients accumulate items.
    return {
        "id": plan.response_id,
        "object": "response",
        "created_at": plan.created_at,
        "status": status,
        "model": plan.model,
        "output": output or [],
        "incomplete_details": None,
        "error": None,
        "usage": usage,
    }


def _usage(plan: StreamPlan) -> dict[str, Any]:
    output_tokens = len(plan.deltas) + sum(1 + len(call.arguments) // 4 for call in plan.tool_calls)
    reasoning_tokens = 16 if plan.reasoning is not None else 0
    return {
        "input_tokens": plan.input_tokens,
        "input_tokens_details": {"cached_tokens": plan.cached_tokens},
        "output_tokens": output_tokens + reasoning_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": plan.input_tokens + output_tokens + reasoning_tokens,
    }
