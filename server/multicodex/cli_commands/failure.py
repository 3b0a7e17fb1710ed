"""A command that cannot do what was asked ends with one of these: one line for people
and the exit code that says what kind of failure it was."""

from __future__ import annotations

from multicodex.app import AppError
from multicodex.cli_commands.exit_codes import ExitCode, exit_code_for


class CliFailure(Exception):
    def __init__(self, message: str, exit_code: ExitCode = ExitCode.FAILURE) -> None:
        super().__init__(message)
        self.message = one_line(message)
        self.exit_code = exit_code

    @classmethod
    def from_app_error(cls, error: AppError) -> CliFailure:
        return cls(error.message, exit_code_for(error.code))


def one_line(text: str) -> str:
    return " ".join(text.split())
