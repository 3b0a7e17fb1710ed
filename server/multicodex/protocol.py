"""The JSON-RPC contract between ``multicodex serve`` and its clients.

Every method name, params/result/notification shape and error code that crosses the
wire is declared here as a pydantic model; ``protocol.md`` (field tables generated from
these models) and ``protocol.schema.json`` follow it. Nothing here has behaviour: the
server validates incoming params with these models and builds its answers from them.

Conventions: snake_case field names on the wire, times are unix seconds (floats),
account keys are the store's identity keys, unknown params fields are rejected.

``python -m multicodex.protocol --schema`` prints the JSON Schema of the whole contract.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Annotated, Any, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema
from typing_extensions import TypeAliasType

from multicodex.footer import FooterLine
from multicodex.model import (
    FailureKind,
    FooterOrder,
    FooterSettings,
    ResetWindow,
    RotationPolicy,
    SourceKind,
    UsageMode,
    UsageWindow,
)
from multicodex.model import ImportSourceKind as ModelImportSourceKind
from multicodex.model.settings import (
    MAX_NOTICE_MARGIN,
    ResetCreditConfirm,
    WhenExhausted,
    check_thresholds,
)
from multicodex.protocol_names import PROTOCOL_VERSION as PROTOCOL_VERSION
from multicodex.protocol_names import ErrorCode as ErrorCode
from multicodex.protocol_names import Method as Method
from multicodex.protocol_names import Notification as Notification

NAMESPACE = "multicodex/"


class WireModel(BaseModel):
    """Base of every model defined here: unknown fields are rejected, and in the
    serialization schema every field is required (results always carry every field)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_serialization_defaults_required=True, defer_build=True
    )


# --------------------------------------------------------------------------- shared types

# Named aliases: the schema keeps the names (a $defs entry each), so generated clients
# (editor-client/src/protocol.ts) get the type and its list of values.
AccountState = TypeAliasType(
    "AccountState",
    Annotated[
        Literal["active", "available", "at_limit", "cooldown", "needs_reauth"],
        Field(description="Whether an account can serve requests now."),
    ],
)
AccountTag = TypeAliasType(
    "AccountTag",
    Annotated[
        Literal[
            "active", "manual", "needs_reauth", "quota", "at_limit", "untouched", "stale", "linked"
        ],
        Field(description="A status tag shown next to an account."),
    ],
)
ImportSourceKind = TypeAliasType(
    "ImportSourceKind",
    Annotated[
        ModelImportSourceKind,
        Field(description="A tool whose credential file can be imported."),
    ],
)
ResetTarget = TypeAliasType(
    "ResetTarget",
    Annotated[
        Literal["manual", "quota", "all"],
        Field(description="What accounts/reset clears: the pin, the cooldowns, or both."),
    ],
)
LoginMethod = TypeAliasType(
    "LoginMethod",
    Annotated[
        Literal["browser", "device"],
        Field(description="Browser (loopback callback or pasted URL) or device code login."),
    ],
)
CheckStatus = TypeAliasType(
    "CheckStatus",
    Annotated[Literal["pass", "warn", "fail"], Field(description="The outcome of a check.")],
)
RecoverAction = TypeAliasType(
    "RecoverAction",
    Annotated[Literal["start_empty"], Field(description="How to recover an unusable store.")],
)
LogLevel = TypeAliasType(
    "LogLevel",
    Annotated[
        Literal["debug", "info", "warning", "error"],
        Field(description="The server's log level."),
    ],
)


class NoParams(WireModel):
    """Params of a method that takes none: send ``{}`` or omit ``params``."""


class AccountRef(WireModel):
    """An account named briefly: its key and the name to show."""

    key: str = Field(description="The account's identity key (stable; use it in every call).")
    display_name: str = Field(
        description="What to show: label, else email, else account id, else key."
    )


class BucketUsage(WireModel):
    """A model-scoped limit of an account with windows of its own (Pro's Spark limit):
    requests for its models draw on it instead of the account's general windows."""

    bucket: str = Field(
        description="The limit's id (its metered_feature), e.g. codex_bengalfox for Spark."
    )
    label: str = Field(description="The limit as a user reads it, e.g. 'Spark'.")
    limit_name: str | None = Field(description="The backend's name for the limit, if it sent one.")
    five_hour: UsageWindow | None = Field(description="Its short window; null when unknown.")
    five_hour_label: str = Field(description="The short window named by its length ('5h').")
    weekly: UsageWindow | None = Field(description="Its long window; null when unknown.")
    weekly_label: str = Field(
        description="The long window named by its length ('weekly', '30-day')."
    )
    limit_reached: bool = Field(
        description="The backend said this limit is reached (or one of its windows is at 100%)."
    )
    usage_line: str = Field(
        description="Its windows as the footer words them, each after the limit's label, e.g. "
        "'Spark 5h 36% left ↺2h13m · Spark weekly 88% left ↺6d19h'."
    )


class AccountUsage(WireModel):
    """An account's last known quota windows and how fresh that knowledge is."""

    plan_type: str | None = Field(
        description="Plan reported by the backend (plus, pro, team, ...)."
    )
    five_hour: UsageWindow | None = Field(
        description="The short (up to one day, usually 5 h) window; null when the backend sent "
        "none."
    )
    five_hour_label: str = Field(
        description="The short window named by its length, as every view shows it ('5h')."
    )
    weekly: UsageWindow | None = Field(
        description="The long window (7 days on most plans, 30 days on Team; its length is in "
        "window_seconds); null when the backend sent none."
    )
    weekly_label: str = Field(
        description="The long window named by its length, as every view shows it: 'weekly', "
        "'30-day' (Team)."
    )
    limit_reached: bool = Field(
        description="The backend said the account's general limit is reached (or a window is at "
        "100%)."
    )
    buckets: list[BucketUsage] = Field(
        description="The account's model-scoped limits (Spark's on Pro), from wham/usage's "
        "additional_rate_limits and the headers of answers for those models; empty when none.",
        default_factory=list,
    )
    reset_credits: int | None = Field(
        description="Banked rate-limit reset credits the account holds; null when the backend "
        "did not say.",
        default=None,
    )
    fetched_at: float = Field(description="When this snapshot was taken (unix seconds).")
    age_seconds: float = Field(
        description="Seconds between fetched_at and the time of this message."
    )
    stale: bool = Field(
        description="Older than the usage cache lifetime (5 min by default), or the last fetch "
        "failed."
    )
    source: Literal["endpoint", "headers"] = Field(
        description="endpoint: from wham/usage; headers: from the x-codex-* headers of a "
        "completion."
    )


class ModelBlockInfo(WireModel):
    """A model, or a model's own limit, the account cannot serve for now; the account
    keeps serving the others."""

    model: str | None = Field(
        description="The model a gate is on (it needs a newer client, or is not offered)."
    )
    bucket: str | None = Field(
        description="The model-scoped limit cooling down (codex_bengalfox: Spark's)."
    )
    reason: str = Field(
        description="In the words selection uses when it skips the account for it, e.g. "
        "'Spark limit until 14:05 UTC'."
    )
    until: float | None = Field(
        description="When the limit's cooldown ends (unix seconds); null for a gate."
    )


class AccountSource(WireModel):
    """Where an account came from, and whether its credentials are kept in sync there."""

    kind: SourceKind = Field(
        description="login: added by a MultiCodex login; otherwise the tool it was imported from."
    )
    path: str | None = Field(description="The other tool's credential file; null for login.")
    linked: bool = Field(
        description="Refreshed tokens are written back to that file so the other tool keeps "
        "working."
    )


class AccountInfo(WireModel):
    """One account as every listing shows it (accounts/list, status, login results)."""

    key: str = Field(description="Identity key: '<email lower-cased>|<ChatGPT account id>'.")
    display_name: str = Field(description="Label, else email, else account id, else key.")
    email: str | None = Field(description="Email from the tokens.")
    plan: str | None = Field(description="Plan from the tokens (plus, pro, team, ...).")
    label: str | None = Field(description="Display name chosen by the user, if any.")
    account_id: str | None = Field(description="ChatGPT account (workspace) id from the tokens.")
    state: AccountState = Field(
        description="needs_reauth, else cooldown (cooldown_until in the future), else at_limit "
        "(its usage shows a window at 100% whose reset is still ahead; limit_until), else "
        "active (it is the active account), else available. Precedence in that order: an "
        "account at its limit is never available, and an active one at its limit (a last "
        "resort, or pinned) is at_limit with is_active."
    )
    tags: list[AccountTag] = Field(
        description="Status tags in this order when present: active, manual (pinned), "
        "needs_reauth, quota (on cooldown), at_limit (a window at 100%, no cooldown), "
        "untouched (every window at 0%), stale (usage old or fetch failed), linked "
        "(credentials synced with another tool's file)."
    )
    is_active: bool = Field(description="This is the account the next request would use.")
    is_pinned: bool = Field(description="The user pinned this account (manual override).")
    cooldown_until: float | None = Field(
        description="End of the quota cooldown (unix seconds); null when not cooling down."
    )
    cooldown_reason: str | None = Field(description="Why it is cooling down, in words.")
    limit_until: float | None = Field(
        description="When state is at_limit: when its full windows have all reset (unix "
        "seconds); null otherwise, or when a full window's reset is unknown."
    )
    reauth_reason: str | None = Field(
        description="Why it needs a new login, in words; null if it does not."
    )
    usage: AccountUsage | None = Field(description="Last known quota; null before the first fetch.")
    usage_error: str | None = Field(description="The last usage fetch's failure, if it failed.")
    usage_error_at: float | None = Field(description="When that fetch failed (unix seconds).")
    source: AccountSource | None = Field(
        description="Where the account came from; null if unknown."
    )
    added_at: float = Field(description="When it joined the pool (unix seconds).")
    last_used_at: float | None = Field(
        description="When it last served a completion (unix seconds)."
    )
    status_line: str = Field(
        description="One line for listings, e.g. 'alice@x.com (active, untouched) - 5h 100% "
        "left ↺5h0m · weekly 100% left ↺7d0h' (tags shown with spaces: 'needs reauth'). Each "
        "window is named and its percentage follows the footer's usage_mode ('% left' or "
        "'% used'), as in the footer; ↺ is the time until it resets."
    )
    usage_line: str = Field(
        description="The part of status_line after ' - ' (both windows), for a picker's "
        "description column or a tooltip."
    )
    model_blocks: list[ModelBlockInfo] = Field(
        description="Models gated on this account and model limits cooling down (Spark's); "
        "empty when none. 'accounts/reset' with quota or all clears them.",
        default_factory=list,
    )


class ActiveAccount(WireModel):
    """The account the next request would use, and why."""

    key: str = Field(description="The active account's key.")
    display_name: str = Field(description="The active account's display name.")
    reason: str = Field(
        description="Why it was chosen, in words, without its own name (the view shows that), "
        "e.g. 'lowest usage: 12% of its weekly window used (weekly resets Tue 09:00 UTC); bob on "
        "cooldown until 14:05 UTC'."
    )
    rule: str = Field(
        description="Which rule chose it: pinned, sticky, untouched, lowest_usage, most_used, "
        "soonest_reset, no_usage_data, last_resort or workspace (this window's workspace_account; "
        "strategies may add rules)."
    )
    strategy: str = Field(description="The rotation strategy that made the choice.")
    pinned: bool = Field(description="Chosen because the user pinned it.")


class AccountError(WireModel):
    """One account that an operation could not complete for."""

    account: AccountRef = Field(description="The account concerned.")
    message: str = Field(
        description="What went wrong, in words, without the account's name (shown beside it); "
        "never contains secrets."
    )


class ImportSourceInfo(WireModel):
    """A place another tool keeps credentials MultiCodex can import."""

    kind: ImportSourceKind = Field(description="Which tool's format the file has.")
    path: str = Field(description="Absolute path of the credential file.")
    exists: bool = Field(description="The file exists right now.")
    note: str | None = Field(
        description="For people: why it cannot be imported (e.g. 'holds an API key, not a "
        "ChatGPT login', 'credentials are in the OS keyring'), or what it holds; null if "
        "nothing to say."
    )


# ------------------------------------------------------------------------------- accounts


class AccountsListParams(WireModel):
    """Params of multicodex/accounts/list."""

    refresh_stale: bool = Field(
        description="First re-fetch usage of accounts whose snapshot is stale (bounded: at most "
        "~10 s, "
        "failures keep the old values); false answers from cache at once.",
        default=False,
    )


class AccountsListResult(WireModel):
    """Every account in pool order, plus the active choice."""

    accounts: list[AccountInfo] = Field(description="Every account, in pool order.")
    active: ActiveAccount | None = Field(description="The active account and why; null when none.")
    pinned_key: str | None = Field(
        description="Key of the pinned account; null when nothing is pinned."
    )
    needs_reauth_count: int = Field(description="How many accounts need a new login.")
    no_accounts: bool = Field(description="The pool is empty (offer login and import).")
    updated_at: float = Field(description="When this answer was computed (unix seconds).")


class AccountsUseParams(WireModel):
    """Params of multicodex/accounts/use."""

    key: str = Field(description="The account to pin.", min_length=1)


class AccountsUseResult(WireModel):
    """The pinned account after its token was checked (and refreshed if due)."""

    account: AccountInfo = Field(description="The account, now pinned and active.")
    active: ActiveAccount = Field(description="The active account (this one, rule 'pinned').")


class AccountsRefreshParams(WireModel):
    """Params of multicodex/accounts/refresh."""

    key: str | None = Field(
        description="The account to refresh; null or omitted refreshes every account.", default=None
    )


class AccountsRefreshResult(WireModel):
    """Outcome of a forced token check and usage fetch. Per-account failures are reported
    here, never raised."""

    refreshed: int = Field(description="Accounts whose usage was fetched successfully.")
    failed: int = Field(description="Accounts whose token check or usage fetch failed.")
    needs_reauth: int = Field(description="Accounts (among all) that need a new login afterwards.")
    accounts: list[AccountInfo] = Field(description="The accounts concerned, after the refresh.")
    errors: list[AccountError] = Field(description="One entry per failed account.")
    summary: str = Field(description="E.g. 'refreshed 2 of 3 accounts; 1 needs a new login'.")


class AccountsRemoveParams(WireModel):
    """Params of multicodex/accounts/remove."""

    key: str = Field(description="The account to remove.", min_length=1)


class AccountsRemoveResult(WireModel):
    """The account is gone from the pool (another tool's credential file is never touched)."""

    removed: AccountRef = Field(description="The account that was removed.")
    was_active: bool = Field(description="It was the active account.")
    was_pinned: bool = Field(description="It was pinned (the pin is cleared).")
    active: ActiveAccount | None = Field(
        description="The active account now; null if none is left."
    )


class AccountsLabelParams(WireModel):
    """Params of multicodex/accounts/label."""

    key: str = Field(description="The account to name.", min_length=1)
    label: str | None = Field(
        description="New display name (trimmed, at most 80 characters); null or empty clears it.",
        max_length=80,
    )


class AccountsLabelResult(WireModel):
    """The renamed account."""

    account: AccountInfo = Field(description="The account with its new display name.")


class ImportSource(WireModel):
    """One place to import from."""

    kind: ImportSourceKind = Field(
        description="codex-cli: Codex CLI auth.json; pi: pi's auth.json; pi-multicodex: the "
        "original "
        "pi-multicodex codex-accounts.json."
    )
    path: str | None = Field(
        description="Credential file; null uses that tool's default location (honouring CODEX_HOME "
        "and PI_CODING_AGENT_DIR).",
        default=None,
    )


class AccountsImportParams(WireModel):
    """Params of multicodex/accounts/import."""

    sources: list[ImportSource] | None = Field(
        description="Where to import from; null or omitted tries every kind at its default "
        "location.",
        default=None,
    )
    link: bool = Field(
        description="Keep imported credentials linked: refreshed tokens are written back to the "
        "source "
        "file so the other tool keeps working (refresh tokens are single-use).",
        default=True,
    )


class ImportSourceResult(WireModel):
    """What one source yielded."""

    kind: ImportSourceKind = Field(description="The source's kind.")
    path: str = Field(description="The file that was read (absolute).")
    found: bool = Field(description="The file exists.")
    added: list[AccountRef] = Field(description="Accounts new to the pool.")
    updated: list[AccountRef] = Field(
        description="Accounts already in the pool whose tokens were updated."
    )
    unchanged: list[AccountRef] = Field(
        description="Accounts already in the pool with the same tokens."
    )
    kept: list[AccountRef] = Field(
        default_factory=list,
        description="Accounts whose tokens in the pool are newer than the file's (or the "
        "file's need a new login): MultiCodex kept its own. A refresh token works once, so "
        "the file's older pair is already spent and would burn the account.",
    )
    error: str | None = Field(
        description="Why nothing could be imported from this file (unreadable, wrong format, "
        "keyring-only "
        "storage, ...); null on success or when the file does not exist."
    )


class AccountsImportResult(WireModel):
    """Per-source outcome of an import. A source that failed is reported here; the whole
    call fails with IMPORT_FAILED only when no source yielded an account and one failed."""

    sources: list[ImportSourceResult] = Field(description="One entry per source tried, in order.")
    added_count: int = Field(description="Accounts added, over all sources.")
    updated_count: int = Field(description="Accounts updated, over all sources.")


class AccountsResetParams(WireModel):
    """Params of multicodex/accounts/reset."""

    target: ResetTarget = Field(
        description="manual: clear the pin; quota: clear every cooldown, model limits' and "
        "model gates included (a gate the backend still holds comes back with its next 400); "
        "all: both.",
        default="all",
    )


class AccountsResetResult(WireModel):
    """What was cleared."""

    target: ResetTarget = Field(description="The target that was applied.")
    manual_cleared: bool = Field(description="A pin existed and was cleared.")
    quota_cleared: int = Field(description="How many accounts had a cooldown cleared.")
    summary: str = Field(description="E.g. 'reset: target=all manualCleared=yes quotaCleared=2'.")


# ---------------------------------------------------------------------------------- login


class LoginStartParams(WireModel):
    """Params of multicodex/login/start."""

    method: LoginMethod = Field(
        description="browser: PKCE with a loopback callback on 127.0.0.1:1455 (else 1457) plus "
        "paste "
        "fallback; device: a user code entered on the verification page.",
        default="browser",
    )
    label: str | None = Field(
        description="Display name for the account (a new one, or renames the existing one).",
        default=None,
        max_length=80,
    )
    reauth: str | None = Field(
        description="Key of the account being re-authenticated; the login must yield that same "
        "identity, else it fails (reason identity_mismatch) and nothing is saved.",
        default=None,
    )
    pin: bool = Field(description="Pin the account once the login succeeds.", default=False)
    open_browser: bool = Field(
        description="Ask the editor to open the URL with window/showDocument {external: true}.",
        default=True,
    )
    timeout_seconds: float | None = Field(
        description="How long the login stays open; default 300 for browser, 900 for device.",
        default=None,
        ge=30,
        le=1800,
    )


class LoginStartResult(WireModel):
    """A started login. Finish it with login/wait (and/or login/paste), or login/cancel."""

    login_id: str = Field(description="Opaque id of this login.")
    method: LoginMethod = Field(description="The method in use.")
    authorize_url: str | None = Field(description="browser: the URL the user must open; else null.")
    redirect_uri: str | None = Field(
        description="browser: where the authorization server redirects (http://localhost:1455/auth/"
        "callback or :1457); the user may paste that URL on remote machines. Else null."
    )
    callback_listening: bool = Field(
        description="browser: the loopback callback is bound. False when ports 1455 and 1457 "
        "were both "
        "busy: only login/paste can finish this login. Always false for device."
    )
    user_code: str | None = Field(description="device: the code to enter; else null.")
    verification_url: str | None = Field(description="device: the page to enter it on; else null.")
    expires_at: float = Field(description="When the login times out (unix seconds).")
    reauth: AccountRef | None = Field(description="The account being re-authenticated, if any.")
    browser_open_requested: bool = Field(
        description="The server sent window/showDocument for the URL (open_browser and the client "
        "declared window.showDocument support)."
    )


class LoginIdParams(WireModel):
    """Params naming one login (login/wait, login/cancel)."""

    login_id: str = Field(description="The id returned by login/start.", min_length=1)


class LoginPasteParams(WireModel):
    """Params of multicodex/login/paste."""

    login_id: str = Field(description="The id returned by login/start.", min_length=1)
    text: str = Field(
        description="What the user pasted: the full redirect URL, a query string with code= and "
        "state=, "
        "'code#state', or the bare code. Never logged.",
        min_length=1,
    )


class LoginResult(WireModel):
    """A finished login: the account is saved with fresh tokens."""

    login_id: str = Field(description="The login that finished.")
    account: AccountInfo = Field(description="The account, as listed after the login.")
    outcome: Literal["added", "updated", "reauthenticated"] = Field(
        description="added: new to the pool; updated: an existing account got new tokens; "
        "reauthenticated: the account named by reauth was repaired."
    )
    pinned: bool = Field(description="The account was pinned (pin was requested).")


class LoginCancelResult(WireModel):
    """Outcome of login/cancel."""

    login_id: str = Field(description="The login concerned.")
    cancelled: bool = Field(
        description="It was pending and is now cancelled; false if it had ended."
    )


class LoginProgress(WireModel):
    """Params of the multicodex/login/progress notification."""

    login_id: str = Field(description="The login this is about.")
    stage: Literal["waiting_for_browser", "waiting_for_device", "exchanging_code", "saving"] = (
        Field(description="Where the login is now.")
    )
    message: str = Field(description="The stage in words, for a progress notification.")
    expires_at: float = Field(description="When the login times out (unix seconds).")


# ------------------------------------------------------------------------------- rotation


class StrategyInfo(WireModel):
    """One selection strategy the server offers."""

    name: str = Field(description="Strategy name, the value for rotation/set's strategy.")
    description: str = Field(description="What it does, in one line.")


class RotationPatch(WireModel):
    """Rotation policy fields to change; omitted or null fields keep their value."""

    strategy: str | None = Field(
        description="Selection strategy; one of rotation/get's strategies[].name.", default=None
    )
    retry_limit: int | None = Field(
        description="Retries on other accounts before any output (0..50).",
        default=None,
        ge=0,
        le=50,
    )
    fallback_cooldown_seconds: int | None = Field(
        description="Cooldown when a quota error gives no reset time (>= 1).", default=None, ge=1
    )
    sticky: bool | None = Field(
        description="Keep a conversation on its account while that account is healthy.",
        default=None,
    )
    first_output_timeout_seconds: float | None = Field(
        description="Longest wait for the backend to start answering (0 < s <= 600).",
        default=None,
        gt=0,
        le=600,
    )
    stall_timeout_seconds: float | None = Field(
        description="Longest silence between two events once the answer has started "
        "(0 < s <= 3600).",
        default=None,
        gt=0,
        le=3600,
    )
    when_exhausted: WhenExhausted | None = Field(
        description="What happens once every account's included quota is used up.",
        default=None,
    )
    reset_credit_confirm: ResetCreditConfirm | None = Field(
        description="With when_exhausted reset-credit: ask before each spend, or spend "
        "without asking.",
        default=None,
    )


class RotationSetParams(RotationPatch):
    """Params of multicodex/rotation/set."""

    persist: bool = Field(
        description="Save to the store (CLI and other windows follow); false changes this "
        "server only.",
        default=True,
    )


class RotationInfo(WireModel):
    """The rotation policy in force and the choices available."""

    policy: RotationPolicy = Field(
        description="The policy in force (stored, then session overrides)."
    )
    strategies: list[StrategyInfo] = Field(description="Every strategy the server offers.")
    description: list[str] = Field(
        description="The current behaviour explained, one sentence per line."
    )


# --------------------------------------------------------------------------------- footer


class FooterPatch(WireModel):
    """Footer settings to change; omitted or null fields keep their value."""

    usage_mode: UsageMode | None = Field(
        description="Show remaining (left) or consumed (used) percentages.", default=None
    )
    reset_window: ResetWindow | None = Field(
        description="Which window's reset countdown to show.", default=None
    )
    show_account: bool | None = Field(description="Show the active account's name.", default=None)
    show_reset: bool | None = Field(description="Show reset countdowns.", default=None)
    order: FooterOrder | None = Field(
        description="Account before or after the usage fields.", default=None
    )
    compact: bool | None = Field(
        description="A short footer for narrow status bars: the binding window only and a "
        "short account name.",
        default=None,
    )


class FooterSetParams(FooterPatch):
    """Params of multicodex/footer/set."""

    persist: bool = Field(
        description="Save to the store; false applies to this server only (an editor that keeps "
        "footer preferences in its own settings sends false).",
        default=True,
    )


def _values_of(alias: TypeAliasType) -> list[Any]:
    return list(get_args(alias.__value__))


class FooterChoices(WireModel):
    """Every value each footer setting takes, in the order a client offers them (a
    settings panel cycles through them instead of keeping its own copy)."""

    usage_mode: list[UsageMode] = Field(
        description="Values of usage_mode.", default_factory=lambda: _values_of(UsageMode)
    )
    reset_window: list[ResetWindow] = Field(
        description="Values of reset_window.", default_factory=lambda: _values_of(ResetWindow)
    )
    show_account: list[bool] = Field(
        description="Values of show_account.", default_factory=lambda: [True, False]
    )
    show_reset: list[bool] = Field(
        description="Values of show_reset.", default_factory=lambda: [True, False]
    )
    order: list[FooterOrder] = Field(
        description="Values of order.", default_factory=lambda: _values_of(FooterOrder)
    )
    compact: list[bool] = Field(
        description="Values of compact.", default_factory=lambda: [False, True]
    )


class FooterInfo(WireModel):
    """The footer settings in force, the footer they produce now, and every value each
    setting takes."""

    settings: FooterSettings = Field(
        description="Settings in force (stored, then session overrides)."
    )
    line: FooterLine = Field(description="The footer for the active account with these settings.")
    session_override: bool = Field(
        description="Some settings in force come from initializationOptions or a non-persisted set."
    )
    choices: FooterChoices = Field(
        description="Every value each setting takes.", default_factory=FooterChoices
    )


class FooterPreview(WireModel):
    """A footer formatted with draft settings; nothing is saved or pushed."""

    settings: FooterSettings = Field(
        description="The draft: settings in force with the patch applied."
    )
    line: FooterLine = Field(description="The footer those settings would produce now.")


# ------------------------------------------------------------------------ verify and paths


class VerifyCheck(WireModel):
    """One health check."""

    name: str = Field(
        description="Stable id: store_directory, store_file, store_lock (a database store: "
        "store_database, store_key, store_lock), accounts, active_account, needs_reauth, "
        "import_sources, endpoints (more may be added)."
    )
    label: str = Field(description="The check in words, e.g. 'storage directory writable'.")
    status: CheckStatus = Field(
        description="pass; warn when the user should act; fail when MultiCodex cannot work "
        "until the user acts (detail says how)."
    )
    detail: str = Field(description="The finding, e.g. 'yes', '2 accounts need re-authentication'.")


class VerifyResult(WireModel):
    """Runtime health: store, accounts, import sources."""

    status: CheckStatus = Field(
        description="fail when a check fails, else warn when a check warns, else pass."
    )
    checks: list[VerifyCheck] = Field(description="Every check, in a stable order.")
    accounts: int = Field(description="Accounts in the pool.")
    active: AccountRef | None = Field(description="The active account; null when none.")
    needs_reauth: int = Field(description="Accounts that need a new login.")
    import_sources: list[ImportSourceInfo] = Field(
        description="Known import sources and whether found."
    )
    summary_line: str = Field(
        description="E.g. 'verify: PASS storage=ok accounts=3 active=a@x.com needsReauth=0'."
    )


class StoreDatabaseInfo(WireModel):
    """The PostgreSQL database a store setting names."""

    url: str = Field(description="The database's URL without its password or query.")
    schema_version: int = Field(
        description="The schema version the database holds (0: not created yet)."
    )
    supported_schema_version: int = Field(description="The schema version of this MultiCodex.")
    key_source: str | None = Field(
        description="Where the tokens' encryption key comes from (the environment variable, "
        "the key file's path or the OS keyring); null when no key is set."
    )
    key_id: str | None = Field(description="The id of the key tokens are sealed with now.")


class PathsResult(WireModel):
    """Where MultiCodex keeps things and talks to. On a database store the account store,
    its lock and schema are in the database (``database``); the file fields then name
    files of the home directory that are not used."""

    home: str = Field(
        description="The store directory (initializationOptions.home, MULTICODEX_HOME, "
        "else the platform's user config directory)."
    )
    store_file: str = Field(description="The account store document.")
    lock_file: str = Field(description="The cross-process lock file.")
    schema_file: str = Field(description="The store document's JSON Schema.")
    quarantine_file: str = Field(
        description="The marker left while a corrupt store document is moved aside and not "
        "yet recovered (it names where the document went)."
    )
    import_sources: list[ImportSourceInfo] = Field(description="Known import sources.")
    auth_url: str = Field(description="Authorization server base URL in use.")
    backend_url: str = Field(description="Codex backend base URL in use.")
    database: StoreDatabaseInfo | None = Field(
        default=None,
        description="The database the accounts are kept in; null for the file store.",
    )


# ------------------------------------------------------------------------ store recovery


class StoreRecoverParams(WireModel):
    """Params of multicodex/store/recover."""

    action: RecoverAction = Field(
        description="start_empty: accept that the unusable store document stays where it was "
        "moved and go on with an empty store (more actions may be added)."
    )


class StoreRecoverResult(WireModel):
    """What the recovery acknowledged. With nothing to recover, nothing changes."""

    action: RecoverAction = Field(description="The action that was applied.")
    recovered: bool = Field(
        description="A store document had been moved aside and is now acknowledged; false when "
        "there was nothing to recover (the store was usable)."
    )
    store_file: str = Field(description="The store document, usable again.")
    moved_to: str | None = Field(
        description="Where the unusable document stays (never deleted or moved back); null "
        "when nothing was recovered."
    )
    reason: str | None = Field(
        description="Why that document could not be used; null when nothing was recovered."
    )
    foreign_format: str | None = Field(
        description="The other tool's format the document was in (e.g. pi-multicodex), if it "
        "was one: its accounts can now be imported from moved_to."
    )
    accounts: int = Field(
        description="Accounts in the store now (0 after start_empty, unless another process "
        "added some since)."
    )
    message: str = Field(description="The outcome in words, for people.")


# --------------------------------------------------------------------------------- status


class BindingInfo(WireModel):
    """The window that stops an account first."""

    bucket: str = Field(description="The limit it belongs to: codex, or a model's own.")
    window: str = Field(
        description="The window by its length, after its limit's label when a model's own: "
        "'5h', 'weekly', '30-day', 'Spark 5h'."
    )
    used_percent: float = Field(description="Its use as of now, 0..100.")
    resets_at: float | None = Field(description="When it resets (unix seconds); null if unknown.")
    label: str = Field(description="For people: 'weekly · resets Thu 10:37 UTC'.")


class PoolShare(WireModel):
    """One account's bar in a pooled window."""

    account: AccountRef = Field(description="The account.")
    left: float = Field(description="Its room left in the window, 0..1 (0 while cooling down).")
    resets_at: float | None = Field(description="When its window resets; null if unknown.")


class PoolWindowInfo(WireModel):
    """One window across the usable accounts (those that need no new login)."""

    window: str = Field(
        description="The window's name: '5h', 'weekly', '30-day' ('weekly/30-day' when "
        "accounts differ)."
    )
    left: float = Field(
        description="Accounts' worth left: the sum of each account's fraction left."
    )
    accounts: int = Field(description="Accounts counted (those whose use of it is known).")
    text: str = Field(description="For people: 'pool 2.3/3 left · 5h'.")
    shares: list[PoolShare] = Field(description="Each account's bar, in pool order.")
    forecast: str | None = Field(
        description="From the usage history: 'at this pace the pool lasts until the 5h reset "
        "(17:00 UTC)', 'at this pace the pool runs out around 16:40 UTC (16:20 to 17:05 UTC), "
        "55m before the next 5h reset' or '5h: not enough history for a forecast yet'; null "
        "when not computed."
    )


class UsageGlance(WireModel):
    """The pool at a glance: what binds, and how much is left."""

    binding: BindingInfo | None = Field(
        description="The active account's binding window; null when its use is not known.",
        default=None,
    )
    pool: list[PoolWindowInfo] = Field(
        description="The pool per window, short first.", default_factory=list
    )
    pool_binding: str | None = Field(
        description="The window of the pool with the least left relative to its accounts "
        "(a PoolWindowInfo.window); null when none is known.",
        default=None,
    )
    text: str | None = Field(
        description="One line: the binding window and the pool, e.g. 'weekly · resets Thu "
        "10:37 UTC · pool 2.3/3 left · 5h' (multicodex status prints it under the footer).",
        default=None,
    )


class ProxyStatus(WireModel):
    """The Codex CLI proxy inside the server: whether it serves, where, and what it served.
    Turns it serves go through the same pool, so they move the same status."""

    serving: bool = Field(description="The proxy is listening on 127.0.0.1.")
    base_url: str | None = Field(
        description="Its base URL while serving (http://127.0.0.1:PORT/backend-api); null "
        "otherwise."
    )
    error: str | None = Field(
        description="Why it is not serving (e.g. the port is taken); null when it serves."
    )
    turns_served: int = Field(description="Turns answered through it since the server started.")
    last_account: AccountRef | None = Field(
        description="The account that served the latest turn; null before the first."
    )


class Status(WireModel):
    """The footer model: result of status/get and params of the multicodex/status
    notification."""

    revision: int = Field(
        description="Increases with every change; ignore a push older than one seen."
    )
    active: ActiveAccount | None = Field(description="The active account and why; null when none.")
    footer: FooterLine = Field(description="The formatted footer (text, segments, severity).")
    accounts: list[AccountInfo] = Field(description="Every account, in pool order.")
    needs_reauth: list[AccountRef] = Field(description="Accounts that need a new login.")
    no_accounts: bool = Field(description="The pool is empty.")
    all_exhausted: bool = Field(
        description="Accounts exist and each is cooling down, at its limit or needs a new "
        "login, at least one waiting for a reset (footer.state exhausted); active is then "
        "null, or a last resort."
    )
    earliest_reset: float | None = Field(
        description="When all_exhausted: the earliest known moment one becomes usable (unix "
        "seconds): the end of a cooldown or the reset of a full window; the footer's 'next "
        "reset in'."
    )
    stale: bool = Field(description="The active account's usage is stale (see AccountUsage.stale).")
    updated_at: float = Field(description="When this status was computed (unix seconds).")
    glance: UsageGlance = Field(
        description="The binding limit and the pool's headroom per window (tooltip bars).",
        default_factory=UsageGlance,
    )
    proxy: ProxyStatus | None = Field(
        description="The Codex CLI proxy this server runs (initializationOptions.proxy); null "
        "when it is off.",
        default=None,
    )


# ---------------------------------------------------------------------------------- usage


class UsageNoticesSetParams(WireModel):
    """Params of multicodex/usage/notices/set; omitted or null fields keep their value."""

    thresholds: list[int] | None = Field(
        description="Percents used at which a notice is sent, ascending, each 1..100; [] sends "
        "none.",
        default=None,
    )
    margin: float | None = Field(
        description="Percentage points use must fall below a threshold before it is announced "
        "again (0..50).",
        default=None,
        ge=0,
        le=MAX_NOTICE_MARGIN,
    )

    @field_validator("thresholds")
    @classmethod
    def _ascending(cls, thresholds: list[int] | None) -> list[int] | None:
        return None if thresholds is None else check_thresholds(thresholds)


class UsageNoticesInfo(WireModel):
    """The usage notice thresholds in force (saved in the store, shared by every process)."""

    thresholds: list[int] = Field(description="Percents used that are announced, ascending.")
    margin: float = Field(
        description="Percentage points use must fall below a threshold before it is announced "
        "again (or its window resets)."
    )
    description: str = Field(description="What the thresholds do, in one sentence.")


class UsageHistoryParams(WireModel):
    """Params of usage/history."""

    since: float | None = Field(
        description="Observations from this moment on (unix seconds); null: the last 24 hours.",
        default=None,
    )
    account: str | None = Field(
        description="One account (key, email, label or account id); null: every account.",
        default=None,
    )


class UsageObservation(WireModel):
    """One window of one account's limit, as seen at one moment."""

    at: float = Field(description="When it was seen (unix seconds).")
    account: str = Field(description="The account's key.")
    bucket: str = Field(description="The limit: codex, or a model's own (codex_bengalfox).")
    window: str = Field(description="The window by its length: '5h', 'weekly', '30-day'.")
    window_seconds: int = Field(description="The window's length in seconds.")
    used_percent: float = Field(description="Its use then, 0..100.")
    resets_at: float | None = Field(description="When it was to reset; null if unknown.")
    source: Literal["endpoint", "headers"] = Field(
        description="endpoint: wham/usage; headers: a completion's x-codex-* headers."
    )


class UsageHistoryResult(WireModel):
    """Result of usage/history: the recorded observations and the pool's forecasts."""

    since: float = Field(description="The start of the span returned (unix seconds).")
    observations: list[UsageObservation] = Field(description="Oldest first.")
    accounts: list[AccountRef] = Field(description="The accounts named in observations.")
    forecasts: list[str] = Field(
        description="The pool's forecast per window of the general limit (see "
        "PoolWindowInfo.forecast)."
    )


UsageNoticeScope = TypeAliasType(
    "UsageNoticeScope",
    Annotated[
        Literal["account", "pool"],
        Field(description="Whose use crossed a threshold: the active account, or the pool."),
    ],
)


class UsageNotice(WireModel):
    """Params of the multicodex/usage/notice notification: a usage threshold crossed
    upwards. Sent once; again only after use fell below threshold minus margin or the
    window reset (remembered across restarts)."""

    scope: UsageNoticeScope = Field(description="account or pool.")
    account: AccountRef | None = Field(description="The account when scope is account.")
    window: str = Field(description="The window: '5h', 'weekly', '30-day'.")
    threshold: int = Field(description="The threshold crossed, in percent used.")
    used_percent: float = Field(description="The use now, 0..100 (the pool's: its average).")
    resets_at: float | None = Field(description="When the window resets; null if unknown.")
    message: str = Field(
        description="For people, e.g. 'alice@x.com has used 82% of its 5h window (resets "
        "14:00 UTC)' or 'the pool has used 96% of its weekly window'."
    )


# --------------------------------------------------------------------------------- models


class ModelSummary(WireModel):
    """One model the pool's accounts may use."""

    slug: str = Field(description="The model id to send as complete's model.")
    display_name: str = Field(description="Name to show (the slug when the backend gives none).")
    description: str | None = Field(description="One-line description from the backend.")
    default_reasoning_effort: str | None = Field(description="Effort used when none is requested.")
    reasoning_efforts: list[str] = Field(
        description="Accepted reasoning efforts (low, medium, ...)."
    )
    context_window: int | None = Field(description="Context window in tokens, if known.")
    max_input_tokens: int = Field(
        description="The most input tokens a request may carry: the catalog's context_window "
        "(the backend's input budget), 272000 when the catalog gives none."
    )
    max_output_tokens: int = Field(
        description="The most output tokens one answer may have: the catalog's "
        "max_output_tokens, 128000 when the catalog gives none."
    )
    supports_images: bool = Field(
        description="Whether input_image parts are accepted: the catalog's input_modalities "
        "has 'image'."
    )
    supports_tools: bool = Field(
        description="Whether function tools may be given (true for Codex models unless the "
        "catalog says otherwise)."
    )
    supports_parallel_tool_calls: bool = Field(
        description="Whether the model may call several tools in one answer (the catalog's "
        "supports_parallel_tool_calls; true when it says nothing)."
    )
    accounts: list[AccountRef] = Field(
        description="The accounts that can serve it now: its plan's model list has it (or that "
        "list is not known yet), the backend has not gated it for the account, and its own "
        "limit (Spark's) is not cooling down.",
        default_factory=list,
    )
    unavailable: list[ModelAccountBlock] = Field(
        description="The other accounts, each with why it cannot serve this model.",
        default_factory=list,
    )


class ModelAccountBlock(WireModel):
    """An account that cannot serve a model, and why."""

    account: AccountRef = Field(description="The account.")
    reason: str = Field(
        description="Why, in words: 'GPT-5.3 Codex Spark is not in the plus plan', 'Spark "
        "limit until 14:05 UTC', 'gpt-6-astra needs a newer Codex (MultiCodex sends 0.171.0)'."
    )
    until: float | None = Field(
        description="When it can serve the model again (unix seconds): the end of the model's "
        "limit cooldown; null when no end is known (its plan lacks the model, a gate)."
    )


class ModelsListParams(WireModel):
    """Params of multicodex/models/list."""

    refresh: bool = Field(
        description="Re-fetch from the backend instead of the cache.", default=False
    )


class ModelsListResult(WireModel):
    """Models to offer, listed ones only (hidden models are left out)."""

    models: list[ModelSummary] = Field(description="Models in the backend's priority order.")
    default_model: str = Field(description="The slug to preselect.")
    source: Literal["backend", "cache", "fallback"] = Field(
        description="backend: fetched now; cache: an earlier fetch; fallback: built-in list (no "
        "account "
        "could fetch)."
    )
    fetched_at: float | None = Field(description="When the list was fetched; null for fallback.")


# ----------------------------------------------------------------------------- completion


class ReasoningOptions(WireModel):
    """Reasoning settings passed to the backend."""

    effort: str | None = Field(
        description="low, medium, high, xhigh, ... (see models/list); null uses the model default.",
        default=None,
    )
    summary: Literal["auto", "concise", "detailed"] | None = Field(
        description="Reasoning summary detail; summaries stream as kind=reasoning deltas.",
        default=None,
    )


_TOOL_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


class FunctionTool(WireModel):
    """A function the model may call (a Responses API function tool)."""

    type: Literal["function"] = Field(
        description="Always 'function': the only kind of tool a completion accepts."
    )
    name: str = Field(
        description="The name the model calls it by: letters, digits, '_' and '-', 1..64 chars "
        "(the backend's rule)."
    )
    description: str | None = Field(
        description="What the tool does, for the model; null sends none.", default=None
    )
    parameters: dict[str, Any] | None = Field(
        description="JSON Schema of the arguments object; null: a function without arguments.",
        default=None,
    )
    strict: bool | None = Field(
        description="Ask the backend to hold the arguments to the schema exactly; null sends "
        "false.",
        default=None,
    )

    @field_validator("name")
    @classmethod
    def _backend_accepts_the_name(cls, name: str) -> str:
        if not _TOOL_NAME.fullmatch(name):
            raise ValueError(
                f"the tool name '{name[:80]}' is not one the backend accepts: letters, digits, "
                "'_' and '-' only, 1 to 64 of them"
            )
        return name


class FunctionToolChoice(WireModel):
    """Make the model call this one tool."""

    type: Literal["function"] = Field(description="Always 'function'.")
    name: str = Field(description="One of the request's tools.", min_length=1)


class ToolCall(WireModel):
    """A function call the model made: run it and send its output back as a
    function_call_output input item with the same call_id."""

    call_id: str = Field(description="Pairs the call with its function_call_output.")
    name: str = Field(description="The tool called.")
    arguments: str = Field(description="The arguments as the model wrote them (JSON text).")


class CompleteParams(WireModel):
    """Params of multicodex/complete. Exactly one of input or prompt."""

    stream_id: str = Field(
        description="Client-chosen id, unique among this client's running completions; every delta "
        "carries it.",
        min_length=1,
        max_length=200,
    )
    model: str = Field(description="Model slug (see models/list).", min_length=1)
    input: list[dict[str, Any]] | None = Field(
        description="Responses API input items (message, function_call, function_call_output, "
        "reasoning, ...), sent to the backend as they are; input_image parts are checked first "
        "(png, jpeg, gif or webp; a data: URL of at most 20 MB decoded, or an https URL).",
        default=None,
        min_length=1,
    )
    prompt: str | None = Field(
        description="Convenience: one user message with this text.", default=None, min_length=1
    )
    instructions: str | None = Field(
        description="System instructions; null sends an empty string (the backend requires the "
        "field).",
        default=None,
    )
    reasoning: ReasoningOptions | None = Field(description="Reasoning settings.", default=None)
    tools: list[FunctionTool] | None = Field(
        description="Function tools the model may call; each call comes back as a tool_call "
        "delta and in output_items. Null or empty: no tools.",
        default=None,
    )
    tool_choice: Literal["auto", "required", "none"] | FunctionToolChoice | None = Field(
        description="auto: the model decides; required: it must call a tool; none: it must "
        "not; or the one function it must call. Null: auto. required and a function need "
        "tools (the function one of them).",
        default=None,
    )
    conversation_id: str | None = Field(
        description="Keeps the conversation on one account while healthy (sticky rotation) and "
        "keys "
        "the backend's prompt cache.",
        default=None,
        max_length=200,
    )
    wait_for_reset_seconds: float | None = Field(
        description="When every account is exhausted, wait up to this long for the earliest reset "
        "(notice deltas say so) instead of failing at once; fails at once if the reset is "
        "further away. Null: never wait.",
        default=None,
        ge=0,
        le=86400,
    )
    account_key: str | None = Field(
        description="Serve this request with this account only, leaving the pin as it is: no "
        "other account is tried, and when this one cannot serve (unknown, needs a new login, "
        "cooling down, at its limit) the request fails saying why. Null: the window's "
        "workspace_account if set, else the pool chooses.",
        default=None,
        min_length=1,
    )
    use_pool: bool = Field(
        description="Let the pool choose for this request even though the window has a "
        "workspace_account (sent after the user agreed to use another account). Ignored when "
        "account_key is set.",
        default=False,
    )

    @model_validator(mode="after")
    def _one_of_input_or_prompt(self) -> Self:
        if (self.input is None) == (self.prompt is None):
            raise ValueError("exactly one of 'input' or 'prompt' is required")
        return self

    @model_validator(mode="after")
    def _tool_choice_names_a_tool(self) -> Self:
        names = [tool.name for tool in self.tools or []]
        if len(set(names)) != len(names):
            raise ValueError("two tools have the same name")
        choice = self.tool_choice
        if isinstance(choice, FunctionToolChoice) and choice.name not in names:
            raise ValueError(f"tool_choice names '{choice.name}', which is not one of the tools")
        if choice == "required" and not names:
            raise ValueError("tool_choice 'required' needs at least one tool")
        return self


class CompletionDelta(WireModel):
    """Params of the multicodex/completion/delta notification. All deltas of a stream are
    sent before its response (result or error) and none after it."""

    stream_id: str = Field(description="The stream_id of the complete request.")
    seq: int = Field(description="0, 1, 2, ... within the stream; no gaps.", ge=0)
    kind: Literal["start", "text", "reasoning", "tool_call", "switch", "notice"] = Field(
        description="start: first delta, the account chosen (account, reason); text: output text; "
        "reasoning: reasoning summary text; tool_call: a complete function call (tool_call), "
        "one delta per call; switch: retrying on another account before "
        "any output (from_account, account, reason); notice: something the user may want "
        "to know (waiting for a reset, an account that stalled, a transient retry)."
    )
    text: str = Field(
        description="text/reasoning: the new text; tool_call: the tool's name; "
        "start/switch/notice: a one-line message for people; start also says when this "
        "turn may use up the account's room or the pool's (the pre-flight: 'using alice; "
        "alice may reach its 5h limit during this turn (3% left, a turn uses about 5%); bob "
        "is next')."
    )
    account: AccountRef | None = Field(
        description="The account serving the stream from now on (start, switch; text and "
        "reasoning too)."
    )
    from_account: AccountRef | None = Field(
        description="switch: the account left behind; else null."
    )
    reason: str | None = Field(description="start: why chosen; switch: why switched; notice: why.")
    until: float | None = Field(
        description="notice while waiting for a reset: when the wait ends; start: when this "
        "turn may use up the whole pool and the request has no wait_for_reset_seconds, the "
        "pool's earliest reset (the client may offer to wait for it)."
    )
    tool_call: ToolCall | None = Field(
        description="tool_call: the call, sent once the model has written all its arguments; "
        "else null.",
        default=None,
    )


class SwitchInfo(WireModel):
    """One account switch during a completion (always before any output)."""

    from_account: AccountRef = Field(description="The account that failed.")
    to_account: AccountRef = Field(description="The account tried next.")
    reason: str = Field(description="Why, in words, e.g. 'alice hit the 5h limit; resets 14:05'.")
    failure: FailureKind | None = Field(description="The failure class that caused it, if any.")
    at: float = Field(description="When it happened (unix seconds).")


class TokenUsage(WireModel):
    """Token counts reported by the backend for the final attempt."""

    input_tokens: int = Field(description="Input tokens, cached ones included.", default=0)
    cached_tokens: int = Field(description="Input tokens served from the prompt cache.", default=0)
    output_tokens: int = Field(description="Output tokens, reasoning ones included.", default=0)
    reasoning_tokens: int = Field(description="Reasoning tokens.", default=0)
    total_tokens: int = Field(description="Input plus output tokens.", default=0)


class CompleteResult(WireModel):
    """The finished completion."""

    stream_id: str = Field(description="The request's stream_id.")
    text: str = Field(description="All output text (the text deltas joined).")
    reasoning_text: str = Field(
        description="All reasoning summary text (the reasoning deltas joined)."
    )
    account: AccountRef = Field(description="The account that produced the answer.")
    switches: list[SwitchInfo] = Field(description="Every switch, in order; empty when none.")
    selection_reasons: list[str] = Field(
        description="Why each attempt's account was chosen, in order."
    )
    attempts: int = Field(description="Attempts made (1 + switches + same-account retries).")
    usage: TokenUsage = Field(description="Token counts.")
    response_id: str | None = Field(description="The backend's response id.")
    model: str = Field(description="The model that answered.")
    status: Literal["completed", "incomplete"] = Field(
        description="completed, or incomplete when the backend stopped early (see "
        "incomplete_reason)."
    )
    incomplete_reason: str | None = Field(
        description="E.g. max_output_tokens; null when completed."
    )
    output_items: list[dict[str, Any]] = Field(
        description="Completed output items as the backend sent them (messages, reasoning with "
        "encrypted_content, function calls), for the next request's input."
    )
    deltas: int = Field(description="Delta notifications sent for this stream (last seq + 1).")


# --------------------------------------------------------------------------- error data


class FieldError(WireModel):
    """One invalid params field."""

    field: str = Field(
        description="Dotted path of the field, e.g. 'reasoning.summary' or 'input.0'."
    )
    message: str = Field(description="What is wrong with it.")


class InvalidParamsData(WireModel):
    """data of INVALID_PARAMS (-32602). The message names the first bad field."""

    errors: list[FieldError] = Field(description="Every invalid field.")


class InternalErrorData(WireModel):
    """data of INTERNAL_ERROR (-32603): no traceback and no secrets ever reach the client."""

    error_id: str = Field(
        description="Id also written to the server log (stderr) with the details."
    )
    exception_type: str = Field(description="The exception's class name.")


class AccountAvailability(WireModel):
    """Why one account could not serve a request."""

    account: AccountRef = Field(description="The account.")
    state: Literal["available", "cooldown", "needs_reauth", "excluded", "model_unavailable"] = (
        Field(
            description="cooldown: until the given time (the account's, or the requested model's "
            "own limit, said in detail); needs_reauth; excluded: failed during this request; "
            "model_unavailable: cannot serve the requested model (its plan lacks it, or the "
            "backend gated it), detail says which."
        )
    )
    until: float | None = Field(description="cooldown: when it ends (unix seconds).")
    detail: str | None = Field(description="More in words.")


class PoolExhaustedData(WireModel):
    """data of POOL_EXHAUSTED."""

    earliest_reset: float | None = Field(
        description="When the first account becomes usable again (unix seconds); null if unknown "
        "(e.g. every account needs re-authentication)."
    )
    accounts: list[AccountAvailability] = Field(description="Every account's state.")
    waited_seconds: float = Field(description="How long the request waited for a reset (0 if not).")


class ModelUnavailableData(WireModel):
    """data of MODEL_UNAVAILABLE: no account of the pool can serve the requested model, so
    no account was tried."""

    model: str = Field(description="The model requested.")
    accounts: list[AccountAvailability] = Field(
        description="Every account that could be asked, with why it cannot serve the model."
    )
    servable_models: list[str] = Field(
        description="The models the pool's accounts can serve, as models/list orders them; "
        "empty when no account's model list could be fetched."
    )


class NoAccountsData(WireModel):
    """data of NO_ACCOUNTS."""

    import_sources: list[ImportSourceInfo] = Field(
        description="Import sources, so the client can offer to import the ones that exist."
    )


class AttemptFailure(WireModel):
    """One failed attempt of a completion."""

    account: AccountRef = Field(description="The account used.")
    kind: FailureKind = Field(description="The failure class.")
    status: int | None = Field(description="HTTP status, if any.")
    code: str | None = Field(description="The backend's error code, if any.")
    detail: str = Field(description="The backend's message or the transport error, in words.")


class RateLimitedData(WireModel):
    """data of RATE_LIMITED: short throttling on every account tried."""

    retry_at: float | None = Field(description="When a retry may succeed (unix seconds), if known.")
    attempts: list[AttemptFailure] = Field(description="The attempts made.")


class UpstreamBadRequestData(WireModel):
    """data of UPSTREAM_BAD_REQUEST: the backend rejected the request itself (400-class);
    it would fail on every account, so nothing was rotated."""

    account: AccountRef = Field(description="The account the request was sent with.")
    status: int | None = Field(
        description="HTTP status (400, 413, 422, ...); null when the backend rejected the "
        "request inside the event stream."
    )
    code: str | None = Field(description="The backend's error code, if any.")
    detail: str = Field(description="The backend's message, e.g. 'Instructions are required'.")


class UpstreamFailedData(WireModel):
    """data of UPSTREAM_FAILED_AFTER_OUTPUT: output had started, so nothing was retried."""

    account: AccountRef = Field(description="The account that was streaming.")
    kind: FailureKind = Field(description="The failure class.")
    status: int | None = Field(description="HTTP status, if any.")
    code: str | None = Field(description="The backend's error code, if any.")
    detail: str = Field(description="What happened, in words.")
    deltas_sent: int = Field(description="Delta notifications already sent for the stream.")


class UpstreamUnavailableData(WireModel):
    """data of UPSTREAM_UNAVAILABLE: every attempt failed transiently (5xx, overload,
    connection) before any output, and the retry limit was reached."""

    attempts: list[AttemptFailure] = Field(description="Every attempt, in order.")


class AccountNotFoundData(WireModel):
    """data of ACCOUNT_NOT_FOUND."""

    key: str = Field(description="The key that matched no account.")
    known_keys: list[str] = Field(description="Keys of the accounts that exist.")


class NeedsReauthData(WireModel):
    """data of NEEDS_REAUTH: offer login/start with reauth = account.key."""

    account: AccountRef = Field(description="The account that needs a new login.")
    reason: str | None = Field(description="Why, e.g. 'refresh token was already used'.")


LoginFailureReason = TypeAliasType(
    "LoginFailureReason",
    Annotated[
        Literal[
            "denied",
            "no_entitlement",
            "state_mismatch",
            "missing_code",
            "exchange_failed",
            "invalid_tokens",
            "identity_mismatch",
            "device_unavailable",
            "other",
        ],
        Field(description="Why a login failed, as a code a client can act on."),
    ],
)


class LoginFailedData(WireModel):
    """data of LOGIN_FAILED."""

    login_id: str | None = Field(description="The login concerned; null if it never started.")
    reason: LoginFailureReason = Field(
        description="denied: the user or server refused; no_entitlement: Codex is not enabled "
        "for this "
        "workspace; state_mismatch / missing_code: unusable pasted text; exchange_failed: "
        "the token endpoint refused the code; invalid_tokens: tokens without an identity; "
        "identity_mismatch: re-auth yielded another account; device_unavailable: the "
        "server offers no device login."
    )
    detail: str = Field(description="What happened, in words.")
    pending: bool = Field(
        description="The login is still open (a bad paste): the user may paste again or wait."
    )


class LoginTimedOutData(WireModel):
    """data of LOGIN_TIMED_OUT."""

    login_id: str = Field(description="The login that expired.")
    expires_at: float = Field(description="When it expired (unix seconds).")


class LoginIdData(WireModel):
    """data of LOGIN_CANCELLED and LOGIN_NOT_FOUND."""

    login_id: str = Field(description="The login concerned.")


class StoreCorruptData(WireModel):
    """data of STORE_CORRUPT: the store document was unusable and moved aside (never
    overwritten); every request fails with this until the user recovers (recover_method,
    recover_command) or restores the file by hand."""

    store_file: str = Field(description="The store document.")
    moved_to: str = Field(description="Where the unusable document now is.")
    reason: str = Field(description="Why it could not be used.")
    foreign_format: str | None = Field(
        description="The other format recognised (e.g. pi-multicodex), if it was one: after "
        "recovering, import from moved_to."
    )
    recover_method: str = Field(
        description="The request that starts with an empty store: multicodex/store/recover "
        "with action start_empty (the file at moved_to stays)."
    )
    recover_command: str = Field(
        description="The same from a shell: 'multicodex recover --start-empty'."
    )


class StoreUnavailableData(WireModel):
    """data of STORE_UNAVAILABLE: the store cannot be read or written right now."""

    store_file: str = Field(description="The store document.")
    lock_file: str = Field(description="The lock file.")
    reason: Literal["lock_timeout", "unreadable", "newer_version", "invalid_document"] = Field(
        description="lock_timeout: another process held the lock too long; unreadable: the OS "
        "refused; newer_version: written by a newer MultiCodex; invalid_document: a "
        "change would have produced an invalid document (nothing written)."
    )
    detail: str = Field(description="What happened, in words.")


class ImportFailedData(WireModel):
    """data of IMPORT_FAILED: no source yielded an account and at least one failed."""

    sources: list[ImportSourceResult] = Field(description="Every source tried, with its error.")


class ErrorObject(WireModel):
    """A JSON-RPC error object as the server sends it."""

    code: ErrorCode = Field(description="One of the error codes.")
    message: str = Field(description="For people; names the account, field or file concerned.")
    data: dict[str, Any] | None = Field(
        description="Shape given by the code (see ERROR_DATA); null or absent for codes without "
        "data.",
        default=None,
    )


# ---------------------------------------------------------------- initialize and capabilities


class ProxyOptions(WireModel):
    """The Codex CLI proxy inside the server (the editor's multicodex.proxy.* settings)."""

    enabled: bool = Field(
        description="Serve the pool to the official Codex CLI and IDE extension on 127.0.0.1 "
        "while this server runs (as `multicodex proxy` does).",
        default=False,
    )
    port: int = Field(
        description="Port on 127.0.0.1; 0 picks a free one. A permanent config.toml names a "
        "fixed port (`multicodex proxy --print-config`).",
        default=18765,
        ge=0,
        le=65535,
    )


class InitializationOptions(WireModel):
    """The LSP initializationOptions the server understands. Everything is optional."""

    home: str | None = Field(
        description="Store directory; null uses MULTICODEX_HOME, else the platform's user "
        "config dir.",
        default=None,
    )
    store: str | None = Field(
        description="Where the accounts are kept: a store directory (as home) or a "
        "postgresql:// URL shared by several machines (home then keeps this machine's locks, "
        "refresh journal, id and key file); null uses MULTICODEX_STORE, else home.",
        default=None,
    )
    auth_url: str | None = Field(
        description="Authorization server base URL (emulator); null uses MULTICODEX_AUTH_URL, else "
        "https://auth.openai.com.",
        default=None,
    )
    backend_url: str | None = Field(
        description="Backend base URL (emulator); null uses MULTICODEX_BACKEND_URL, else "
        "https://chatgpt.com/backend-api.",
        default=None,
    )
    footer: FooterPatch | None = Field(
        description="Footer settings for this server only, over the stored ones (never saved).",
        default=None,
    )
    rotation: RotationPatch | None = Field(
        description="Rotation settings for this server only, over the stored ones (never saved).",
        default=None,
    )
    workspace_account: str | None = Field(
        description="This window's own account (the editor's multicodex.workspaceAccount): a "
        "key, email, label or unique prefix, resolved like `multicodex use`. Every complete "
        "without account_key is served by it alone (use_pool overrides that for one request); "
        "the footer and status show it as the active account (rule 'workspace'). The store's "
        "pin and other windows are unaffected. An identifier matching no account is warned "
        "about at start, and completions fail with ACCOUNT_NOT_FOUND naming the setting.",
        default=None,
        min_length=1,
    )
    proxy: ProxyOptions | None = Field(
        description="The Codex CLI proxy in this server; null: off.", default=None
    )
    log_level: LogLevel = Field(description="Server log level (stderr).", default="warning")
    status_refresh_seconds: float = Field(
        description="How often the server re-checks the active account's usage and re-evaluates "
        "the "
        "status (fetches only when the usage cache is stale).",
        default=60.0,
        ge=1,
        le=3600,
    )
    callback_ports: list[Annotated[int, Field(ge=1, le=65535)]] | None = Field(
        description="Loopback ports the browser login's callback tries, in order; null uses "
        "1455, then 1457 (the only ones the real authorization server accepts). For emulators "
        "and tests.",
        default=None,
        min_length=1,
        max_length=8,
    )


class ServerCapabilitiesExtension(WireModel):
    """Sent in the initialize result as capabilities.experimental.multicodex."""

    protocol_version: int = Field(description="PROTOCOL_VERSION of the server.")
    methods: list[str] = Field(description="Every request method the server implements.")
    notifications: list[str] = Field(description="Every notification the server may send.")


# -------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class MethodSpec:
    """A request method's params model, result model and the domain errors it may raise
    (besides COMMON_ERRORS)."""

    params: type[BaseModel]
    result: type[BaseModel]
    errors: tuple[ErrorCode, ...] = ()


COMMON_ERRORS: tuple[ErrorCode, ...] = (
    ErrorCode.INVALID_PARAMS,
    ErrorCode.INTERNAL_ERROR,
    ErrorCode.REQUEST_CANCELLED,
    ErrorCode.STORE_CORRUPT,
    ErrorCode.STORE_UNAVAILABLE,
)
"""Errors any request may end with."""

_E = ErrorCode
METHODS: Mapping[Method, MethodSpec] = MappingProxyType(
    {
        Method.ACCOUNTS_LIST: MethodSpec(AccountsListParams, AccountsListResult),
        Method.ACCOUNTS_USE: MethodSpec(
            AccountsUseParams, AccountsUseResult, (_E.ACCOUNT_NOT_FOUND, _E.NEEDS_REAUTH)
        ),
        Method.ACCOUNTS_REFRESH: MethodSpec(
            AccountsRefreshParams, AccountsRefreshResult, (_E.ACCOUNT_NOT_FOUND,)
        ),
        Method.ACCOUNTS_REMOVE: MethodSpec(
            AccountsRemoveParams, AccountsRemoveResult, (_E.ACCOUNT_NOT_FOUND,)
        ),
        Method.ACCOUNTS_LABEL: MethodSpec(
            AccountsLabelParams, AccountsLabelResult, (_E.ACCOUNT_NOT_FOUND,)
        ),
        Method.ACCOUNTS_IMPORT: MethodSpec(
            AccountsImportParams, AccountsImportResult, (_E.IMPORT_FAILED,)
        ),
        Method.ACCOUNTS_RESET: MethodSpec(AccountsResetParams, AccountsResetResult),
        Method.LOGIN_START: MethodSpec(
            LoginStartParams, LoginStartResult, (_E.ACCOUNT_NOT_FOUND, _E.LOGIN_FAILED)
        ),
        Method.LOGIN_WAIT: MethodSpec(
            LoginIdParams,
            LoginResult,
            (_E.LOGIN_FAILED, _E.LOGIN_TIMED_OUT, _E.LOGIN_CANCELLED, _E.LOGIN_NOT_FOUND),
        ),
        Method.LOGIN_PASTE: MethodSpec(
            LoginPasteParams,
            LoginResult,
            (_E.LOGIN_FAILED, _E.LOGIN_TIMED_OUT, _E.LOGIN_CANCELLED, _E.LOGIN_NOT_FOUND),
        ),
        Method.LOGIN_CANCEL: MethodSpec(LoginIdParams, LoginCancelResult, (_E.LOGIN_NOT_FOUND,)),
        Method.ROTATION_GET: MethodSpec(NoParams, RotationInfo),
        Method.ROTATION_SET: MethodSpec(RotationSetParams, RotationInfo),
        Method.FOOTER_GET: MethodSpec(NoParams, FooterInfo),
        Method.FOOTER_SET: MethodSpec(FooterSetParams, FooterInfo),
        Method.FOOTER_PREVIEW: MethodSpec(FooterPatch, FooterPreview),
        Method.VERIFY: MethodSpec(NoParams, VerifyResult),
        Method.PATHS: MethodSpec(NoParams, PathsResult),
        Method.STORE_RECOVER: MethodSpec(StoreRecoverParams, StoreRecoverResult),
        Method.STATUS_GET: MethodSpec(NoParams, Status),
        Method.USAGE_HISTORY: MethodSpec(
            UsageHistoryParams, UsageHistoryResult, (_E.ACCOUNT_NOT_FOUND,)
        ),
        Method.USAGE_NOTICES_GET: MethodSpec(NoParams, UsageNoticesInfo),
        Method.USAGE_NOTICES_SET: MethodSpec(UsageNoticesSetParams, UsageNoticesInfo),
        Method.MODELS_LIST: MethodSpec(ModelsListParams, ModelsListResult),
        Method.COMPLETE: MethodSpec(
            CompleteParams,
            CompleteResult,
            (
                _E.ACCOUNT_NOT_FOUND,
                _E.NEEDS_REAUTH,
                _E.NO_ACCOUNTS,
                _E.POOL_EXHAUSTED,
                _E.RATE_LIMITED,
                _E.MODEL_UNAVAILABLE,
                _E.UPSTREAM_BAD_REQUEST,
                _E.UPSTREAM_FAILED_AFTER_OUTPUT,
                _E.UPSTREAM_UNAVAILABLE,
            ),
        ),
    }
)
"""Every request method → its params and result models and its domain errors."""

NOTIFICATIONS: Mapping[Notification, type[BaseModel]] = MappingProxyType(
    {
        Notification.STATUS: Status,
        Notification.COMPLETION_DELTA: CompletionDelta,
        Notification.LOGIN_PROGRESS: LoginProgress,
        Notification.USAGE_NOTICE: UsageNotice,
    }
)
"""Every server → client notification → its params model."""

ERROR_DATA: Mapping[ErrorCode, type[BaseModel] | None] = MappingProxyType(
    {
        ErrorCode.METHOD_NOT_FOUND: None,
        ErrorCode.INVALID_PARAMS: InvalidParamsData,
        ErrorCode.INTERNAL_ERROR: InternalErrorData,
        ErrorCode.REQUEST_CANCELLED: None,
        ErrorCode.POOL_EXHAUSTED: PoolExhaustedData,
        ErrorCode.NO_ACCOUNTS: NoAccountsData,
        ErrorCode.RATE_LIMITED: RateLimitedData,
        ErrorCode.MODEL_UNAVAILABLE: ModelUnavailableData,
        ErrorCode.UPSTREAM_BAD_REQUEST: UpstreamBadRequestData,
        ErrorCode.UPSTREAM_FAILED_AFTER_OUTPUT: UpstreamFailedData,
        ErrorCode.UPSTREAM_UNAVAILABLE: UpstreamUnavailableData,
        ErrorCode.ACCOUNT_NOT_FOUND: AccountNotFoundData,
        ErrorCode.NEEDS_REAUTH: NeedsReauthData,
        ErrorCode.LOGIN_FAILED: LoginFailedData,
        ErrorCode.LOGIN_TIMED_OUT: LoginTimedOutData,
        ErrorCode.LOGIN_CANCELLED: LoginIdData,
        ErrorCode.LOGIN_NOT_FOUND: LoginIdData,
        ErrorCode.STORE_CORRUPT: StoreCorruptData,
        ErrorCode.STORE_UNAVAILABLE: StoreUnavailableData,
        ErrorCode.IMPORT_FAILED: ImportFailedData,
    }
)
"""Every error code → the model of its ``data`` (None: the error carries no data)."""

EXTRA_MODELS: tuple[type[BaseModel], ...] = (
    InitializationOptions,
    ServerCapabilitiesExtension,
    ErrorObject,
)
"""Models on the wire outside the method, notification and error tables."""

SHARED_FIELD_DESCRIPTIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "FailureKind": {
            "": "How a backend call failed: quota_exhausted (cooldown until reset), "
            "rate_limited (short throttle), transient (5xx, overload, dropped connection), "
            "auth_expired (401 a refresh fixes), needs_reauth (credentials dead), "
            "bad_request (400-class, never rotated), model_gated (this account cannot serve "
            "this model: it needs a newer client or is not offered to the account; another "
            "account may), cancelled.",
        },
        "FooterSettings": {
            "": "Footer preferences (pi-multicodex-spec §12), as stored.",
            "usage_mode": "left: remaining percentage; used: consumed percentage.",
            "reset_window": "Which window's reset countdown is shown: binding (the window "
            "closest to running out), 5h, 7d (the weekly window) or both.",
            "show_account": "The active account's name is shown.",
            "show_reset": "Reset countdowns are shown.",
            "order": "account-first or usage-first.",
            "compact": "The short footer for narrow status bars: the binding window only (with "
            "its countdown when show_reset), a short account name, no separators; "
            "reset_window does not apply.",
        },
        "RotationPolicy": {
            "": "How requests are spread over accounts, as stored.",
            "strategy": "Selection strategy name (see rotation/get strategies).",
            "retry_limit": "Retries on other accounts before any output (0..50).",
            "fallback_cooldown_seconds": "Cooldown when a quota error gives no reset time.",
            "sticky": "A conversation stays on its account while that account is healthy.",
            "first_output_timeout_seconds": "Longest wait, from sending the request, for the "
            "backend to start answering (response headers and first event); past it the "
            "attempt is a transient failure and the request moves on.",
            "stall_timeout_seconds": "Longest silence between two events once the answer has "
            "started: before any output the request moves on; after output it fails with "
            "UPSTREAM_FAILED_AFTER_OUTPUT.",
            "when_exhausted": "What happens once every account's included quota is used up "
            "(see WhenExhausted); wait (the default) never spends anything.",
            "reset_credit_confirm": "With when_exhausted reset-credit: ask (the default; the "
            "server sends window/showMessageRequest and spends only on its spend button) or "
            "automatic.",
        },
        "UsageWindow": {
            "": "One quota window.",
            "used_percent": "Percentage used, 0..100 (the backend may report more; it is read "
            "as 100: exhausted, nothing left).",
            "window_seconds": "Window length in seconds (18000 for 5 h, 604800 for 7 days, "
            "2592000 for Team's 30 days).",
            "resets_at": "When the window resets (unix seconds); null when unknown.",
        },
        "FooterLine": {
            "": "The formatted footer; text is the concatenation of the segments' texts.",
            "text": "The whole footer, e.g. 'Codex · a@x.com · 5h 75% left ↺2h13m · weekly "
            "60% left' or 'Codex · all accounts exhausted · next reset in 4h59m'.",
            "segments": "The footer in styled pieces, in order.",
            "severity": "serving: the worst usage tier (success, info, warning, error; dim "
            "when no window is known); loading: dim; no_accounts: warning; exhausted and "
            "needs_reauth: error.",
            "state": "What the footer tells: the pool's state.",
        },
        "FooterSegment": {
            "": "A styled piece of the footer.",
            "text": "The piece's text (separators include their spaces).",
            "role": "brand, separator, muted, dim: fixed de-emphasised styles; account: "
            "normal text; usage and state: coloured by severity.",
            "severity": "success, info, warning, error or dim; set on usage and state "
            "segments, else null.",
        },
        "UsageMode": {"": "Footer percentages: left (remaining) or used (consumed)."},
        "WhenExhausted": {
            "": "When every account's included quota is used up: wait (for the earliest "
            "reset, or fail with POOL_EXHAUSTED; nothing is spent), reset-credit (redeem one "
            "banked rate-limit reset credit on the account whose reset is furthest away, then "
            "serve on it), paid-credits (serve, last, from an account whose usage says it has "
            "paid credits; the selection reason says 'paid credits')."
        },
        "ResetCreditConfirm": {
            "": "Whether a reset credit is spent only after the user agreed (ask) or without "
            "asking (automatic)."
        },
        "ResetWindow": {"": "Which window's reset countdown the footer shows."},
        "FooterState": {
            "": "What the footer tells: serving (the active account's usage), loading (its "
            "usage not known yet), no_accounts, exhausted (no account has room; the next "
            "reset), needs_reauth (only a new login would help)."
        },
        "FooterOrder": {"": "The account before or after the usage fields in the footer."},
        "Severity": {"": "A usage tier, worst last: success, info, warning, error; dim: unknown."},
        "SegmentRole": {"": "How a footer segment is styled."},
    }
)
"""Descriptions for the fields of models shared with other layers (store, footer, usage),
added to the generated schema where those models carry none."""


def params_models() -> tuple[type[BaseModel], ...]:
    """Every model a client sends (validated by the server, unknown fields rejected)."""
    return (*dict.fromkeys(spec.params for spec in METHODS.values()), InitializationOptions)


def sent_models() -> tuple[type[BaseModel], ...]:
    """Every top-level model the server sends: results, notifications, error data."""
    return tuple(
        dict.fromkeys(
            (
                *(spec.result for spec in METHODS.values()),
                *NOTIFICATIONS.values(),
                *(model for model in ERROR_DATA.values() if model is not None),
                ServerCapabilitiesExtension,
                ErrorObject,
            )
        )
    )


def contract_schema() -> dict[str, Any]:
    """The JSON Schema of the whole contract, as written to protocol.schema.json.

    Params are described as the server validates them (defaulted fields optional);
    everything the server sends as it serialises it (every field present).
    """
    pairs: list[tuple[type[BaseModel], JsonSchemaMode]] = [
        *((model, "validation") for model in params_models()),
        *((model, "serialization") for model in sent_models()),
    ]
    refs, top = models_json_schema(pairs, schema_generator=_ContractJsonSchema)
    defs: dict[str, Any] = top["$defs"]
    _describe_shared(defs)

    def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(refs[(model, mode)])

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "MultiCodex JSON-RPC contract",
        "protocol_version": PROTOCOL_VERSION,
        "methods": {
            method.value: {
                "params": ref(spec.params, "validation"),
                "result": ref(spec.result, "serialization"),
                "errors": [code.name for code in (*spec.errors, *COMMON_ERRORS)],
            }
            for method, spec in METHODS.items()
        },
        "notifications": {
            name.value: {"params": ref(model, "serialization")}
            for name, model in NOTIFICATIONS.items()
        },
        "errors": {
            code.name: {
                "code": code.value,
                "data": None if model is None else ref(model, "serialization"),
            }
            for code, model in ERROR_DATA.items()
        },
        "initialization_options": ref(InitializationOptions, "validation"),
        "server_capabilities": ref(ServerCapabilitiesExtension, "serialization"),
        "$defs": defs,
    }


class _ContractJsonSchema(GenerateJsonSchema):
    """Everything the server sends carries every field: also the fields with defaults of
    the shared models (store, footer, usage) that results embed, not only WireModel's."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization" and field.get("serialization_exclude_if") is None:
            return True
        return super().field_is_required(field, total)


def _describe_shared(defs: dict[str, Any]) -> None:
    for name, fields in SHARED_FIELD_DESCRIPTIONS.items():
        for schema_name in (name, f"{name}-Input", f"{name}-Output"):
            schema = defs.get(schema_name)
            if schema is None:
                continue
            for field, text in fields.items():
                target = schema if field == "" else schema["properties"][field]
                target.setdefault("description", text)


def schema_text() -> str:
    """protocol.schema.json's exact content."""
    return json.dumps(contract_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m multicodex.protocol")
    parser.add_argument("--schema", action="store_true", help="print the contract's JSON Schema")
    args = parser.parse_args(argv)
    if not args.schema:
        parser.print_help()
        return 2
    print(schema_text(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
