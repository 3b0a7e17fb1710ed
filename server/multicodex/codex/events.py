"""Typed view of the Responses streaming events the Codex backend sends.

An event keeps its JSON object as-is in ``data`` (callers forward it untouched); the
helpers read the few fields MultiCodex itself acts on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel, ConfigDict
from pydantic_core import from_json

from multicodex.codex.sse import SSEEvent

OUTPUT_TEXT_DELTA: Final = "response.output_text.delta"
RESPONSE_COMPLETED: Final = "response.completed"
RESPONSE_INCOMPLETE: Final = "response.incomplete"
RESPONSE_FAILED: Final = "response.failed"
ERROR: Final = "error"

SUCCESS_EVENT_TYPES: Final = frozenset({RESPONSE_COMPLETED, RESPONSE_INCOMPLETE})
FAILURE_EVENT_TYPES: Final = frozenset({RESPONSE_FAILED, ERROR})
TERMINAL_EVENT_TYPES: Final = SUCCESS_EVENT_TYPES | FAILURE_EVENT_TYPES


@dataclass(frozen=True, slots=True)
class ResponseEvent:
    """One streamed event: its ``type`` and the whole JSON object it came in.

    A plain dataclass, not a pydantic model: one is made per event of every stream (the
    hot path), from the JSON decoder's own output, so there is nothing to validate.
    """

    type: str
    data: dict[str, Any]

    @property
    def delta(self) -> str | None:
        """The text of an ``output_text`` delta; None for every other event."""
        if self.type != OUTPUT_TEXT_DELTA:
            return None
        value = self.data.get("delta")
        return value if isinstance(value, str) else None

    @property
    def is_terminal(self) -> bool:
        return self.type in TERMINAL_EVENT_TYPES

    @property
    def response(self) -> dict[str, Any] | None:
        """The ``response`` object that lifecycle events carry."""
        value = self.data.get("response")
        return value if isinstance(value, dict) else None


class InputTokensDetails(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    cached_tokens: int = 0


class OutputTokensDetails(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    reasoning_tokens: int = 0


class TokenUsage(BaseModel):
    """``response.usage``; ``input_tokens`` includes the cached ones."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    input_tokens: int = 0
    input_tokens_details: InputTokensDetails | None = None
    output_tokens: int = 0
    output_tokens_details: OutputTokensDetails | None = None
    total_tokens: int = 0

    @property
    def cached_tokens(self) -> int:
        details = self.input_tokens_details
        return details.cached_tokens if details is not None else 0

    @property
    def reasoning_tokens(self) -> int:
        details = self.output_tokens_details
        return details.reasoning_tokens if details is not None else 0


class FinalResponse(BaseModel):
    """The ``response`` object of the terminal ``response.completed``/``incomplete`` event.

    ``output`` may be empty even when items were streamed; accumulate from
    ``response.output_item.done`` events instead.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str | None = None
    status: str | None = None
    model: str | None = None
    usage: TokenUsage | None = None
    incomplete_details: dict[str, Any] | None = None
    output: list[Any] = []


_raw_decode = json.JSONDecoder().raw_decode


def event_from_sse(sse: SSEEvent) -> ResponseEvent | None:
    """Decode one SSE event; None for payloads that are not a JSON object (skipped)."""
    try:
        payload = _decode_json(sse.data)
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    kind = payload.get("type")
    if not isinstance(kind, str):
        kind = sse.event or "message"
    return ResponseEvent(kind, payload)


def _decode_json(data: bytes) -> Any:
    """``json.loads`` at a quarter of its cost: pydantic_core's parser (a third of the
    cost of relaying a delta was this decode); what it refuses (a lone surrogate escape,
    a number out of range) is read by `_decode_json_text`, so every payload decodes as
    before, and fails as before."""
    try:
        return from_json(data)
    except ValueError:
        return _decode_json_text(data)


def _decode_json_text(data: bytes) -> Any:
    """``json.loads`` for the common case at less than half the cost.

    ``raw_decode`` on a str skips the encoding sniffing and whitespace scans of
    ``json.loads(bytes)``; anything unusual (surrounding whitespace, trailing garbage)
    goes through ``json.loads`` so the result and the errors stay the same.
    """
    text = data.decode()
    try:
        value, end = _raw_decode(text)
    except ValueError:
        return json.loads(text)
    if end != len(text):
        return json.loads(text)
    return value
