"""Exit codes of the `multicodex` command, and which protocol errors map to which.

0 success, 1 any other failure, 2 usage (bad arguments, invalid values), 3 unknown
account (or login), 4 the account needs a new login, 5 no account can serve a request
now (pool exhausted, rate limited, or no accounts at all), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

from enum import IntEnum

from multicodex.protocol_names import ErrorCode


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    NOT_FOUND = 3
    NEEDS_REAUTH = 4
    EXHAUSTED = 5
    INTERRUPTED = 130


_BY_ERROR: dict[ErrorCode, ExitCode] = {
    ErrorCode.INVALID_PARAMS: ExitCode.USAGE,
    ErrorCode.ACCOUNT_NOT_FOUND: ExitCode.NOT_FOUND,
    ErrorCode.LOGIN_NOT_FOUND: ExitCode.NOT_FOUND,
    ErrorCode.NEEDS_REAUTH: ExitCode.NEEDS_REAUTH,
    ErrorCode.POOL_EXHAUSTED: ExitCode.EXHAUSTED,
    ErrorCode.NO_ACCOUNTS: ExitCode.EXHAUSTED,
    ErrorCode.RATE_LIMITED: ExitCode.EXHAUSTED,
    ErrorCode.REQUEST_CANCELLED: ExitCode.INTERRUPTED,
}


def exit_code_for(code: ErrorCode) -> ExitCode:
    """The exit code a protocol error ends the command with."""
    return _BY_ERROR.get(code, ExitCode.FAILURE)
