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


class StreamDrop(Exception):
    """Raised by the event source: end the stream now, without a terminal event."""

    def __init__(self, mode: Literal["reset", "eof"]) -> None:
        super().__init__(mode)
        self.mode: Literal["reset", "eof"] = mode


@dataclass(frozen=True)
class ReasoningPlan:
    summary: bool
    encrypted: bool


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


def reasoning_plan(body: dict[str, Any]) -> ReasoningPlan | None:
    reasoning = body.get("reasoning")
    if not isinstance(reasoning, dict) or reasoning.get("effort") in (None, "none"):
        return None
    include = body.get("include")
    return ReasoningPlan(
        summary=reasoning.get("summary") not in (None, "none"),
        encrypted=isinstance(include, list) and "reasoning.encrypted_content" in include,
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
    output_index = 0
    if plan.reasoning is not None:
        for event in _reasoning_events(seq, plan.reasoning, output_index):
            yield event
        output_index += 1
    message_id = f"msg_{secrets.token_hex(12)}"
    for event in _message_open(seq, message_id, output_index):
        yield event
    async for emitted in _text_deltas(seq, plan, hooks, message_id, output_index):
        yield emitted
    for event in _message_close(seq, message_id, output_index, "".join(plan.deltas)):
        yield event
    hooks.on_success()
    yield _terminal(seq, plan, fault)


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


def _reasoning_events(
    seq: _Sequencer, reasoning: ReasoningPlan, output_index: int
) -> Iterator[dict[str, Any]]:
    item_id = f"rs_{secrets.token_hex(12)}"
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
    if reasoning.encrypted:
        item["encrypted_content"] = f"gAAAAA{secrets.token_urlsafe(48)}"
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


def _terminal(seq: _Sequencer, plan: StreamPlan, fault: ResponseFault | None) -> dict[str, Any]:
    if isinstance(fault, IncompleteFault):
        response = _response(plan, "incomplete", usage=_usage(plan))
        response["incomplete_details"] = {"reason": fault.reason}
        return seq.event("response.incomplete", response=response)
    return seq.event(
        "response.completed", response=_response(plan, "completed", usage=_usage(plan))
    )


def _failed(seq: _Sequencer, plan: StreamPlan, fault: FailedInStreamFault) -> dict[str, Any]:
    response = _response(plan, "failed")
    response["error"] = {
        "code": fault.code,
        "message": fault.message or stream_failure_message(fault.code),
    }
    return seq.event("response.failed", response=response)


def _response(plan: StreamPlan, status: str, usage: dict[str, Any] | None = None) -> dict[str, Any]:
    # The real backend sends an empty `output` on completion; clients accumulate items.
    return {
        "id": plan.response_id,
        "object": "response",
        "created_at": plan.created_at,
        "status": status,
        "model": plan.model,
        "output": [],
        "incomplete_details": None,
        "error": None,
        "usage": usage,
    }


def _usage(plan: StreamPlan) -> dict[str, Any]:
    output_tokens = len(plan.deltas)
    reasoning_tokens = 16 if plan.reasoning is not None else 0
    return {
        "input_tokens": plan.input_tokens,
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens": output_tokens + reasoning_tokens,
        "output_tokens_details": {"reasoning_tokens": reasoning_tokens},
        "total_tokens": plan.input_tokens + output_tokens + reasoning_tokens,
    }
