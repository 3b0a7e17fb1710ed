"""The product subcommands that run on an App (the same calls the JSON-RPC server makes),
and a parser of those alone: the demo runs them against its own App."""

from __future__ import annotations

from multicodex.cli_commands import (
    accounts,
    ask,
    diagnostics,
    login,
    recovery,
    settings,
    store,
    usage,
)
from multicodex.cli_commands.parsing import CliParser, Subparsers, global_options

APP_COMMANDS = (accounts, login, ask, settings, diagnostics, recovery, usage, store)
"""Each module's ``register`` adds its subcommands with their run function."""


def add_app_commands(sub: Subparsers) -> None:
    common = global_options()
    for module in APP_COMMANDS:
        module.register(sub, common)


def app_commands_parser() -> CliParser:
    """``multicodex COMMAND ...`` for the App commands only."""
    parser = CliParser(prog="multicodex", parents=[global_options()])
    add_app_commands(parser.add_subparsers(dest="command", required=True, metavar="COMMAND"))
    return parser
