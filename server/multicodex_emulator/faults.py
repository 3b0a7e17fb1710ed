"""Scripted faults: what the next requests of an account (or the token endpoint) go through.

Each list is consumed one entry per request, in order; when it is empty requests behave
normally. Every fault is a pydantic model discriminated by `kind`, so the same shapes
arrive as JSON over the control API.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

MAX_FAULT_SECONDS = 3600.0


class _Fault(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- POST /backend-api/codex/responses -------------------------------------------------


class OkFault(_Fault):
    """A normal answer, optionally with a given number of text deltas."""

    kind: Literal["ok"] = "ok"
    deltas: int | None = Field(default=None, ge=1, le=100_000)


class StatusFault(_Fault):
    """A plain HTTP error status (500, 502, 504, ...) with an optional JSON body."""

    kind: Literal["status"] = "status"
    status: int = Field(default=500, ge=400, le=599)
    body: Any = None


class OverloadedFault(_Fault):
    """503 `server_is_overloaded`."""

    kind: Literal["overloaded"] = "overloaded"
    message: str = "Selected model is at capacity. Please try a different model."


class ThrottleFault(_Fault):
    """429 that is NOT a quota exhaustion (`rate_limit_exceeded`)."""

    kind: Literal["throttle"] = "throttle"
    retry_after_seconds: float = Field(default=2.0, ge=0, le=MAX_FAULT_SECONDS)


class UnauthorizedFault(_Fault):
    """401 on an otherwise valid token (server-side invalidation, flaky auth)."""

    kind: Literal["unauthorized"] = "unauthorized"
    code: str = "token_expired"


class FailedInStreamFault(_Fault):
    """HTTP 200, then `response.failed` right after `response.created`."""

    kind: Literal["failed_in_stream"] = "failed_in_stream"
    code: str = "rate_limit_exceeded"
    message: str | None = None


class ErrorEventFault(_Fault):
    """HTTP 200, then a top-level `error` event right after `response.created`."""

    kind: Literal["error_event"] = "error_event"
    code: str = "server_error"
    message: str | None = None


class DropMidStreamFault(_Fault):
    """The stream ends after `after_deltas` deltas without a terminal event.

    `mode="reset"` closes the connection mid chunked body (a transport error for the
    client); `mode="eof"` ends the body cleanly (the client sees a short stream).
    """

    kind: Literal["drop_mid_stream"] = "drop_mid_stream"
    after_deltas: int = Field(default=3, ge=0)
    mode: Literal["reset", "eof"] = "reset"


class StallFault(_Fault):
    """Stop sending for `seconds` after `after_deltas` deltas, then finish normally.

    With `before_first_event` the silence comes right after the response headers, before
    `response.created` (a backend that accepted the request and never starts answering);
    `after_deltas` then does not apply.
    """

    kind: Literal["stall"] = "stall"
    after_deltas: int = Field(default=3, ge=0)
    seconds: float = Field(default=5.0, ge=0, le=MAX_FAULT_SECONDS)
    before_first_event: bool = False


class LatencyFault(_Fault):
    """Wait `seconds` before sending the response headers, then answer normally."""

    kind: Literal["latency"] = "latency"
    seconds: float = Field(default=1.0, ge=0, le=MAX_FAULT_SECONDS)


class IncompleteFault(_Fault):
    """`response.incomplete` with `incomplete_details.reason` instead of completed."""

    kind: Literal["incomplete"] = "incomplete"
    reason: str = "max_output_tokens"


class StaleUsageFault(_Fault):
    """429 `usage_limit_reached` although the windows (and wham/usage) say there is room."""

    kind: Literal["stale_usage"] = "stale_usage"


ResponseFault = Annotated[
    OkFault
    | StatusFault
    | OverloadedFault
    | ThrottleFault
    | UnauthorizedFault
    | FailedInStreamFault
    | ErrorEventFault
    | DropMidStreamFault
    | StallFault
    | LatencyFault
    | IncompleteFault
    | StaleUsageFault,
    Field(discriminator="kind"),
]

# --- POST /oauth/token ------------------------------------------------------------------


class TokenStatusFault(_Fault):
    """An error status instead of processing the grant; default 500 temporary-failure."""

    kind: Literal["status"] = "status"
    status: int = Field(default=500, ge=400, le=599)
    body: Any = None


class TokenDropFault(_Fault):
    """Close the connection without an answer, by default AFTER the grant took effect."""

    kind: Literal["drop"] = "drop"
    after_rotate: bool = True


class TokenSlowFault(_Fault):
    """Process the grant (rotating the refresh token), then wait before answering."""

    kind: Literal["slow"] = "slow"
    seconds: float = Field(default=2.0, ge=0, le=MAX_FAULT_SECONDS)


TokenFault = Annotated[
    TokenStatusFault | TokenDropFault | TokenSlowFault, Field(discriminator="kind")
]

# --- GET /backend-api/wham/usage --------------------------------------------------------


class UsageStatusFault(_Fault):
    """An error status for the usage call (429 or 5xx)."""

    kind: Literal["status"] = "status"
    status: int = Field(default=503, ge=400, le=599)
    body: Any = None


class UsageLatencyFault(_Fault):
    kind: Literal["latency"] = "latency"
    seconds: float = Field(default=1.0, ge=0, le=MAX_FAULT_SECONDS)


UsageFault = Annotated[UsageStatusFault | UsageLatencyFault, Field(discriminator="kind")]

_RESPONSE_FAULTS: TypeAdapter[list[ResponseFault]] = TypeAdapter(list[ResponseFault])
_TOKEN_FAULTS: TypeAdapter[list[TokenFault]] = TypeAdapter(list[TokenFault])
_USAGE_FAULTS: TypeAdapter[list[UsageFault]] = TypeAdapter(list[UsageFault])

FaultInput = BaseModel | Mapping[str, Any]


def parse_response_faults(faults: Iterable[FaultInput]) -> list[ResponseFault]:
    return _RESPONSE_FAULTS.validate_python([_as_mapping(f) for f in faults])


def parse_token_faults(faults: Iterable[FaultInput]) -> list[TokenFault]:
    return _TOKEN_FAULTS.validate_python([_as_mapping(f) for f in faults])


def parse_usage_faults(faults: Iterable[FaultInput]) -> list[UsageFault]:
    return _USAGE_FAULTS.validate_python([_as_mapping(f) for f in faults])


def _as_mapping(fault: FaultInput) -> Mapping[str, Any]:
    return fault.model_dump() if isinstance(fault, BaseModel) else fault
