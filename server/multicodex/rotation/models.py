"""What goes into and comes out of the rotation engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

from multicodex.selection import SkippedAccount


class CompletionRequest(BaseModel):
    model: str
    input: list[dict[str, Any]]
    instructions: str | None = None
    reasoning: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    """Responses API tool definitions, passed through; calls come back in ``output``."""
    conversation_id: str | None = None
    """Keeps the conversation on one account and keys the backend's prompt cache."""
    wait_for_reset_seconds: float | None = Field(default=None, ge=0)
    """When every account is exhausted, wait up to this long for the earliest reset."""


class Switch(BaseModel):
    from_key: str | None
    from_name: str | None
    to_key: str
    to_name: str
    reason: str


class TokenCounts(BaseModel):
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    total_tokens: int = 0


@dataclass(frozen=True, slots=True)
class TextDelta:
    """Output text from the account that serves the request. A dataclass rather than a
    model: one is made per delta, and its fields come from the engine itself."""

    kind: Literal["text", "reasoning"]
    text: str
    account_key: str


class SwitchNotice(BaseModel):
    switch: Switch


class WaitNotice(BaseModel):
    until: float
    reason: str


class StallNotice(BaseModel):
    """Before any output: an account sent nothing within an idle limit, and the request
    goes on (on another account, or again on the same one)."""

    account_key: str
    """The account that stalled."""
    text: str
    reason: str


class CompletionResult(BaseModel):
    text: str
    account_key: str
    account_name: str
    switches: list[Switch]
    reasons: list[str]
    usage: TokenCounts
    response_id: str | None
    status: Literal["completed", "incomplete"]
    model: str | None = None
    """The model that answered, as the backend named it."""
    incomplete_reason: str | None = None
    """Why the backend stopped early (e.g. max_output_tokens); None when completed."""
    output: list[dict[str, Any]]
    """Completed output items (message, reasoning with encrypted content, tool calls)."""


RotationEvent = TextDelta | SwitchNotice | WaitNotice | StallNotice | CompletionResult


class AccountState(BaseModel):
    key: str
    name: str
    state: Literal["available", "cooldown", "needs_reauth", "excluded"]
    until: float | None = None
    detail: str | None = None


class PoolExhausted(Exception):
    """No account can serve the request now."""

    def __init__(self, earliest_reset: float | None, accounts: list[AccountState]) -> None:
        when = f"; earliest reset at unix {earliest_reset:.0f}" if earliest_reset else ""
        super().__init__(f"no MultiCodex account can serve this request now{when}")
        self.earliest_reset = earliest_reset
        self.accounts = accounts


class UpstreamFailure(Exception):
    """The backend failed in a way rotation must not hide (400s, failure after output)."""

    def __init__(
        self,
        message: str,
        *,
        account_name: str,
        after_output: bool,
        status: int | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.account_name = account_name
        self.after_output = after_output
        self.status = status
        self.code = code


def skipped_states(skipped: list[SkippedAccount], names: dict[str, str]) -> list[AccountState]:
    return [
        AccountState(key=s.key, name=names.get(s.key, s.key), state=s.why, until=s.until)
        for s in skipped
    ]
