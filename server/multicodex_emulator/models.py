"""Shapes that cross the emulator's boundary: Python API results and control-API JSON."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from multicodex_emulator.windows import Layout, WindowKind


class EmuAccount(BaseModel):
    """An emulated ChatGPT account as created (a snapshot, not a live view)."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    email: str
    plan: str
    layout: Layout
    user_id: str
    cost_percent: float
    response_deltas: int | None = None
    deactivated: bool = False


class WindowView(BaseModel):
    slot: Literal["primary", "secondary"]
    kind: WindowKind
    window_seconds: int
    used_percent: float
    reset_at: float


class CreditsView(BaseModel):
    """Paid credits and banked rate-limit reset credits of an account."""

    has_credits: bool
    balance: float
    cost_per_response: float
    reset_credits: int


class AccountView(BaseModel):
    """An account with its windows as of now (windows already rolled over if due)."""

    account: EmuAccount
    windows: list[WindowView]
    spark_windows: list[WindowView] = Field(default_factory=list)
    """The Spark model's own 5 h + weekly windows (Pro accounts only)."""
    credits: CreditsView
    pending_faults: int
    pending_usage_faults: int


class TokenResponse(BaseModel):
    """The body of a successful `/oauth/token` grant."""

    id_token: str
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int
    scope: str


class Counters(BaseModel):
    """What an account went through, counted by the emulator."""

    responses: int = 0
    """POSTs to /codex/responses whose bearer was accepted."""
    responses_429: int = 0
    responses_completed: int = 0
    responses_failed: int = 0
    """Answers that were an injected error status or ended in a failure event."""
    client_disconnects: int = 0
    refreshes: int = 0
    refresh_reused: int = 0
    refresh_failures: int = 0
    """Refresh attempts refused for any other reason (expired, revoked, deactivated)."""
    usage_fetches: int = 0
    authorize: int = 0
    code_exchanges: int = 0
    device_approvals: int = 0


class ImageSeen(BaseModel):
    """An `input_image` part as logged: never its data."""

    source: Literal["data", "url", "file"]
    media_type: str | None = None
    bytes: int | None = None
    """Decoded size of a data URL's image."""


class RecordedRequest(BaseModel):
    """One request as the emulator saw it. The Authorization header is redacted."""

    id: int
    method: str
    path: str
    query: str = ""
    account_id: str | None = None
    status: int | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = None
    """Decoded request body (after zstd): the JSON value, or form fields as a dict."""
    body_encoding: Literal["none", "json", "form", "other"] = "none"
    body_sha256: str | None = None
    """SHA-256 of the decoded body's bytes: tells a body relayed byte for byte from one
    encoded again."""
    content_encoding: str | None = None
    response_encoding: str | None = None
    """`content-encoding` of the answer (zstd/gzip when the request asked), else None."""
    token_id: str | None = None
    """`jti` of the access token used (tells tokens apart without exposing them)."""
    grant_type: str | None = None
    session_id: str | None = None
    thread_id: str | None = None
    conversation_id: str | None = None
    client_request_id: str | None = None
    turn_state: str | None = None
    prompt_cache_key: str | None = None
    input_items: list[str] = Field(default_factory=list)
    """The `type` of every input item of a responses request, in order."""
    tool_outputs: list[str] = Field(default_factory=list)
    """`call_id`s the input answered with `function_call_output` items."""
    images: list[ImageSeen] = Field(default_factory=list)
    encrypted_reasoning: int = 0
    """Reasoning items replayed with `encrypted_content` (each verified for the account)."""
    tool_calls: list[str] = Field(default_factory=list)
    """`call_id`s of the `function_call` items the answer emitted."""
    cached_tokens: int | None = None
    """`usage.input_tokens_details.cached_tokens` the answer reports."""
    fault: str | None = None
    error_code: str | None = None
    response_id: str | None = None
    deltas_sent: int = 0
    terminal_event: str | None = None
    started_at: float
    """Wall-clock unix seconds (not the emulator clock)."""
    granted_at: float | None = None
    """When a refresh grant took effect (the refresh token rotated), wall clock: the
    start of the window in which the new pair exists only in the answer."""
    finished_at: float | None = None
    client_disconnected: bool = False
    disconnected_at: float | None = None


class EmuSettings(BaseModel):
    """Knobs that apply to the whole emulator."""

    model_config = ConfigDict(validate_assignment=True)

    token_lifetime: int = Field(default=864000, ge=1)
    """Access-token lifetime in seconds (`expires_in`, `exp - iat`)."""
    refresh_token_lifetime: float | None = Field(default=None, gt=0)
    """Absolute refresh-token lifetime; None: refresh tokens never expire by age."""
    tokens_per_second: float = Field(default=200.0, ge=0)
    """Streamed deltas per second; 0 streams without pacing."""
    default_deltas: int = Field(default=20, ge=1, le=100_000)
    reused_status: Literal[400, 401] = 401
    """Status for `refresh_token_reused` (both were observed in the wild)."""
    strict_account_header: bool = False
    """Answer 403 when `chatgpt-account-id` is missing or names another account."""
    device_poll_interval: int = Field(default=1, ge=0)
    device_auto_approve_after: int | None = Field(default=1, ge=0)
    """Device codes approve themselves after this many pending polls; None: only by control."""
    workspace_origin: Literal["no_constraint", "host"] = "no_constraint"
    """accounts/check `workspace_backend_origin`: NO_CONSTRAINT or https://<Host>."""
    code_ttl: float = Field(default=600.0, gt=0)
    token_latency: float = Field(default=0.0, ge=0, le=60)
    """Seconds every token-endpoint answer takes after the grant took effect (a busy
    auth server answers in seconds; a refresh token is already rotated meanwhile)."""
    compress_responses: bool = True
    """Answer zstd (else gzip) when the request's `accept-encoding` asks for it."""
    completed_output_items: bool = False
    """List the streamed items in `response.completed.output`; the ChatGPT backend sends
    it empty (clients accumulate `output_item.done`), the platform API lists them."""


class SettingsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token_lifetime: int | None = Field(default=None, ge=1)
    refresh_token_lifetime: float | None = Field(default=None, gt=0)
    tokens_per_second: float | None = Field(default=None, ge=0)
    default_deltas: int | None = Field(default=None, ge=1, le=100_000)
    reused_status: Literal[400, 401] | None = None
    strict_account_header: bool | None = None
    device_poll_interval: int | None = Field(default=None, ge=0)
    device_auto_approve_after: int | None = Field(default=None, ge=0)
    workspace_origin: Literal["no_constraint", "host"] | None = None
    code_ttl: float | None = Field(default=None, gt=0)
    token_latency: float | None = Field(default=None, ge=0, le=60)
    compress_responses: bool | None = None
    completed_output_items: bool | None = None


class CreateAccountRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3)
    plan: str = "plus"
    layout: Layout | None = None
    five_hour_used: float = Field(default=0.0, ge=0, le=1000)
    weekly_used: float = Field(default=0.0, ge=0, le=1000)
    cost_percent: float = Field(default=1.0, ge=0, le=100)
    account_id: str | None = Field(default=None, min_length=1)
    response_deltas: int | None = Field(default=None, ge=1, le=100_000)


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: str | None = None
    cost_percent: float | None = Field(default=None, ge=0, le=100)
    response_deltas: int | None = Field(default=None, ge=1, le=100_000)


class SetUsageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    five_hour_used: float | None = Field(default=None, ge=0, le=1000)
    weekly_used: float | None = Field(default=None, ge=0, le=1000)
    """Above 100 is served as is (the real backend's percentages can exceed 100)."""
    five_hour_resets_at: float | None = None
    weekly_resets_at: float | None = None
    spark_five_hour_used: float | None = Field(default=None, ge=0, le=1000)
    spark_weekly_used: float | None = Field(default=None, ge=0, le=1000)
    spark_five_hour_resets_at: float | None = None
    spark_weekly_resets_at: float | None = None


class CreditsUpdate(BaseModel):
    """Paid credits (`has_credits`, `balance`, what one response costs) and reset credits."""

    model_config = ConfigDict(extra="forbid")

    has_credits: bool | None = None
    """Without it, a new `balance` sets it (balance > 0)."""
    balance: float | None = Field(default=None, ge=0)
    cost_per_response: float | None = Field(default=None, ge=0)
    reset_credits: int | None = Field(default=None, ge=0, le=1000)


class MinimalVersionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    minimal_client_version: str = Field(pattern=r"^\d+(\.\d+){0,3}$")


class FaultScriptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    faults: list[dict[str, Any]]
    append: bool = False


class ToolCall(BaseModel):
    """One `function_call` a scripted answer makes; ids are generated when omitted."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=128)
    arguments: str = "{}"
    """A JSON text (an object given here is serialized)."""
    call_id: str | None = Field(default=None, min_length=1, max_length=128)

    @field_validator("arguments", mode="before")
    @classmethod
    def _serialize(cls, value: Any) -> Any:
        return json.dumps(value, separators=(",", ":")) if isinstance(value, dict) else value

    @field_validator("arguments")
    @classmethod
    def _json_text(cls, value: str) -> str:
        try:
            json.loads(value)
        except ValueError:
            raise ValueError("arguments must be a JSON text") from None
        return value


class ToolCallScriptRequest(BaseModel):
    """The next answer (of one account, or of any) calls these tools instead of texting."""

    model_config = ConfigDict(extra="forbid")

    calls: list[ToolCall] = Field(min_length=1, max_length=64)


class AdvanceClockRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seconds: float = Field(ge=0)


class AuthorizeAsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account_id: str


class AuthorizeDenyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error: str = "access_denied"
    error_description: str = "missing_codex_entitlement"


class DeactivateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deactivated: bool = True


class DeviceApproveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    user_code: str
    account_id: str | None = None
