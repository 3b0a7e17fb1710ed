"""What goes into and comes out of the rotation engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from multicodex.codex.errors import CodexFailure
from multicodex.model import FailureKind
from multicodex.preflight import Preflight
from multicodex.selection import SkippedAccount


class PassThrough(BaseModel):
    """A Codex client's own request, relayed (``multicodex proxy``): its body and headers
    reach the backend with only the account-bound changes, and the answer goes back as the
    backend's own bytes (`RawChunk`)."""

    body: dict[str, Any]
    raw: bytes | None = None
    """``body`` as the client's bytes (decoded): what is sent while nothing in the body
    changes, so a long conversation is not encoded again for every turn."""
    headers: dict[str, str] = Field(default_factory=dict)
    """The client's request headers worth forwarding (session, thread, turn metadata)."""
    turn_state: str | None = None
    turn_state_account: str | None = None
    """The account that issued ``turn_state``: the state goes to that account only, and to
    none when it is not known."""


class CompletionRequest(BaseModel):
    model: str
    input: list[dict[str, Any]]
    instructions: str | None = None
    reasoning: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    """Responses API function tools; calls come back as `ToolCallDelta` and in ``output``."""
    tool_choice: str | dict[str, Any] | None = None
    """``auto`` (None), ``required``, ``none`` or ``{"type": "function", "name": ...}``."""
    conversation_id: str | None = None
    """Keeps the conversation on one account and keys the backend's prompt cache."""
    wait_for_reset_seconds: float | None = Field(default=None, ge=0)
    """When every account is exhausted, wait up to this long for the earliest reset."""
    account_key: str | None = None
    """Only this account may serve the request (the pin does not apply to it)."""
    passthrough: PassThrough | None = None
    """Relay this client request as it came instead of building a body from the fields."""


class FailureInfo(BaseModel):
    """A failure as the Codex client classified it; carried whole to every caller."""

    kind: FailureKind
    message: str
    status: int | None = None
    code: str | None = None

    @classmethod
    def of(cls, failure: CodexFailure) -> FailureInfo:
        return cls(
            kind=failure.kind, message=failure.message, status=failure.status, code=failure.code
        )


class Switch(BaseModel):
    from_key: str | None
    from_name: str | None
    to_key: str
    to_name: str
    reason: str
    failure: FailureInfo | None = None
    """What made the request leave ``from_key``; None when the choice just changed."""


class TokenCounts(BaseModel):
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True, slots=True)
class TextDeltas:
    """Output text from the account that serves the request: deltas of one kind that
    arrived together, in order (each is one delta to the client). A dataclass rather than a
    model: one is made per network read, and its fields come from the engine itself."""

    kind: Literal["text", "reasoning"]
    texts: list[str]
    account_key: str


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A function call the model finished writing (its ``output_item.done``)."""

    call_id: str
    name: str
    arguments: str
    account_key: str


@dataclass(frozen=True, slots=True)
class RawChunk:
    """Bytes of the serving account's event stream, as the backend sent them (pass-through
    requests only). The first chunk carries the answer's headers."""

    data: bytes
    account_key: str
    headers: Mapping[str, str] | None = None


class AttemptStarted(BaseModel):
    """The engine sends the request to an account: every attempt, the first included."""

    account_key: str
    account_name: str
    reason: str
    """Why this account: the strategy's reason, or why the same account is tried again."""
    number: int
    """1 for the first attempt of the request."""
    retry: bool = False
    """The same account as the attempt before (after a backoff or a token refresh)."""
    preflight: Preflight | None = None
    """First attempt only: this turn may use up the account's room (or the pool's)."""


class SwitchNotice(BaseModel):
    switch: Switch


class WaitNotice(BaseModel):
    until: float
    reason: str


class FailureNotice(BaseModel):
    """Before any output an attempt failed in a way that passes (5xx, a dropped or silent
    stream, a short rate limit) and the request goes on: told before the wait or the
    next account, so the client is never left in silence."""

    account_key: str
    """The account that failed."""
    text: str
    """One line for people, e.g. 'alice has not answered for 20 s; trying bob'."""
    failure: FailureInfo
    wait_seconds: float = 0.0
    """How long MultiCodex waits before the next attempt (backoff)."""


class CompletionResult(BaseModel):
    text: str
    reasoning_text: str = ""
    account_key: str
    account_name: str
    switches: list[Switch]
    reasons: list[str]
    attempts: int
    """Attempts made, same-account retries included."""
    usage: TokenCounts
    response_id: str | None
    status: Literal["completed", "incomplete"]
    model: str | None = None
    """The model that answered, as the backend named it."""
    incomplete_reason: str | None = None
    """Why the backend stopped early (e.g. max_output_tokens); None when completed."""
    output: list[dict[str, Any]]
    """Completed output items (message, reasoning with encrypted content, tool calls)."""


RotationEvent = (
    AttemptStarted
    | TextDeltas
    | ToolCallDelta
    | RawChunk
    | SwitchNotice
    | WaitNotice
    | FailureNotice
    | CompletionResult
)


class AccountState(BaseModel):
    key: str
    name: str
    state: Literal["available", "cooldown", "needs_reauth", "excluded", "model_unavailable"]
    until: float | None = None
    detail: str | None = None


class PoolExhausted(Exception):
    """No account can serve the request now."""

    def __init__(self, earliest_reset: float | None, accounts: list[AccountState]) -> None:
        when = f"; earliest reset at unix {earliest_reset:.0f}" if earliest_reset else ""
        super().__init__(f"no MultiCodex account can serve this request now{when}")
        self.earliest_reset = earliest_reset
        self.accounts = accounts


class ModelUnavailable(Exception):
    """No account of the request's set can serve its model (plan lists, gates): nothing
    is tried, or nothing more after the backend gated the model on each account tried."""

    def __init__(self, model: str, accounts: list[AccountState], servable: list[str]) -> None:
        super().__init__(f"no MultiCodex account can serve {model}")
        self.model = model
        self.accounts = accounts
        self.servable = servable
        """The models the pool can serve, for the message."""


class UpstreamFailure(Exception):
    """The backend failed in a way rotation must not hide (400s, failure after output,
    retries used up). ``failure`` is the class the Codex client decided, unchanged."""

    def __init__(
        self,
        message: str,
        *,
        failure: FailureInfo,
        account_key: str | None,
        account_name: str,
        after_output: bool,
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.account_key = account_key
        self.account_name = account_name
        self.after_output = after_output


def skipped_states(skipped: list[SkippedAccount], names: dict[str, str]) -> list[AccountState]:
    return [
        AccountState(
            key=s.key,
            name=names.get(s.key, s.key),
            state="model_unavailable" if s.why == "model" else s.why,
            until=s.until,
            detail=s.detail,
        )
        for s in skipped
    ]
