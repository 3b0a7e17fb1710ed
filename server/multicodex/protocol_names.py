"""The protocol's names and numbers: its version, the methods, the notifications and the
error codes. Plain enums, no pydantic: the server answers ``initialize`` (which advertises
these) before it loads the wire models of `multicodex.protocol`, which re-exports them."""

from __future__ import annotations

from enum import IntEnum, StrEnum

PROTOCOL_VERSION = 1
"""Bumped on any incompatible change; sent in ``initialize``'s experimental capabilities."""


class Method(StrEnum):
    """Requests a client sends to the server."""

    ACCOUNTS_LIST = "multicodex/accounts/list"
    ACCOUNTS_USE = "multicodex/accounts/use"
    ACCOUNTS_REFRESH = "multicodex/accounts/refresh"
    ACCOUNTS_REMOVE = "multicodex/accounts/remove"
    ACCOUNTS_LABEL = "multicodex/accounts/label"
    ACCOUNTS_IMPORT = "multicodex/accounts/import"
    ACCOUNTS_RESET = "multicodex/accounts/reset"
    LOGIN_START = "multicodex/login/start"
    LOGIN_WAIT = "multicodex/login/wait"
    LOGIN_PASTE = "multicodex/login/paste"
    LOGIN_CANCEL = "multicodex/login/cancel"
    ROTATION_GET = "multicodex/rotation/get"
    ROTATION_SET = "multicodex/rotation/set"
    FOOTER_GET = "multicodex/footer/get"
    FOOTER_SET = "multicodex/footer/set"
    FOOTER_PREVIEW = "multicodex/footer/preview"
    VERIFY = "multicodex/verify"
    PATHS = "multicodex/paths"
    STORE_RECOVER = "multicodex/store/recover"
    STATUS_GET = "multicodex/status/get"
    USAGE_HISTORY = "multicodex/usage/history"
    USAGE_NOTICES_GET = "multicodex/usage/notices/get"
    USAGE_NOTICES_SET = "multicodex/usage/notices/set"
    MODELS_LIST = "multicodex/models/list"
    COMPLETE = "multicodex/complete"


class Notification(StrEnum):
    """Notifications the server sends to the client (the client sends none of its own)."""

    STATUS = "multicodex/status"
    COMPLETION_DELTA = "multicodex/completion/delta"
    LOGIN_PROGRESS = "multicodex/login/progress"
    USAGE_NOTICE = "multicodex/usage/notice"


class ErrorCode(IntEnum):
    """JSON-RPC error codes. Domain codes sit in -32099..-32000, clear of the values LSP
    gives a meaning there (-32000, -32001 UnknownErrorCode, -32002 ServerNotInitialized)."""

    METHOD_NOT_FOUND = -32601
    INVALID_PARAMS = -32602
    INTERNAL_ERROR = -32603
    REQUEST_CANCELLED = -32800
    POOL_EXHAUSTED = -32010
    NO_ACCOUNTS = -32011
    RATE_LIMITED = -32012
    MODEL_UNAVAILABLE = -32013
    UPSTREAM_BAD_REQUEST = -32020
    UPSTREAM_FAILED_AFTER_OUTPUT = -32021
    UPSTREAM_UNAVAILABLE = -32022
    ACCOUNT_NOT_FOUND = -32030
    NEEDS_REAUTH = -32031
    LOGIN_FAILED = -32040
    LOGIN_TIMED_OUT = -32041
    LOGIN_CANCELLED = -32042
    LOGIN_NOT_FOUND = -32043
    STORE_CORRUPT = -32050
    STORE_UNAVAILABLE = -32051
    IMPORT_FAILED = -32060


METHOD_NAMES: tuple[str, ...] = tuple(m.value for m in Method)
NOTIFICATION_NAMES: tuple[str, ...] = tuple(n.value for n in Notification)
