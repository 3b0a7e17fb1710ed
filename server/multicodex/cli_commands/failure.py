"""A command that cannot do what was asked ends with one of these: one line for people
and the exit code that says what kind of failure it was."""

from __future__ import annotations

import argparse

from multicodex.app import AppError
from multicodex.cli_commands.exit_codes import ExitCode, exit_code_for
from multicodex.protocol import ErrorCode, InvalidParamsData


class CliFailure(Exception):
    def __init__(self, message: str, exit_code: ExitCode = ExitCode.FAILURE) -> None:
        super().__init__(message)
        self.message = one_line(message)
        self.exit_code = exit_code

    @classmethod
    def from_app_error(cls, error: AppError, args: argparse.Namespace | None = None) -> CliFailure:
        """The App's failure; a value the App refused is named by the option that gave it
        (``--retry-limit must be between 0 and 50 (got 99)``)."""
        named = _as_option(error, args) if args is not None else None
        return cls(named or error.message, exit_code_for(error.code))


def _as_option(error: AppError, args: argparse.Namespace) -> str | None:
    data = error.data
    if error.code != ErrorCode.INVALID_PARAMS or not isinstance(data, InvalidParamsData):
        return None
    options: dict[str, str] = getattr(args, "option_names", {})
    first = data.errors[0] if data.errors else None
    if first is None or first.field not in options:
        return None
    value = getattr(args, first.field, None)
    given = (
        f" (got {value:g})"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else ""
    )
    return f"{options[first.field]} {first.message}{given}"


def one_line(text: str) -> str:
    return " ".join(text.split())
