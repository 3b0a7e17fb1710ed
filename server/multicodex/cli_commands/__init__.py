"""The product subcommands of `multicodex`: each module parses its arguments, calls the
App (the same methods the JSON-RPC server exposes) and prints the result."""

from __future__ import annotations

from multicodex.cli_commands import (
    accounts,
    ask,
    demo,
    diagnostics,
    login,
    recovery,
    settings,
)
from multicodex.cli_commands.parsing import Subparsers, global_options
from multicodex.cli_commands.runner import run_command

__all__ = ["register_commands", "run_command"]


def register_commands(sub: Subparsers) -> None:
    common = global_options()
    for module in (accounts, login, ask, settings, diagnostics, recovery, demo):
        module.register(sub, common)
