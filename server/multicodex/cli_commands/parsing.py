"""Argument parsing shared by every product subcommand: one-line usage errors and the
global options, accepted before or after the subcommand."""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn, TypeAlias

from multicodex.cli_commands.exit_codes import ExitCode

Subparsers: TypeAlias = "argparse._SubParsersAction[CliParser]"
"""What ``add_subparsers`` returns; every command module adds its parsers to it."""

GLOBAL_DEFAULTS: dict[str, object] = {
    "home": None,
    "store": None,
    "json": False,
    "auth_url": None,
    "backend_url": None,
    "verbose": 0,
}


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line on stderr and exit code 2, and which
    remembers the option that sets each value (``args.option_names``: dest -> option), so
    a value the App refuses is named the way the user typed it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.option_names: dict[str, str] = {}
        super().__init__(*args, **kwargs)
        self.set_defaults(option_names=self.option_names)

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        if action.option_strings:
            long = [o for o in action.option_strings if o.startswith("--")]
            self.option_names[action.dest] = (long or action.option_strings)[0]
        return action

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: {message} (see {self.prog} --help)\n")
        raise SystemExit(ExitCode.USAGE)


def global_options() -> CliParser:
    """The options every product subcommand takes, before or after the subcommand.

    Both the top-level parser and each subcommand get them with SUPPRESS defaults, so a
    value given after the subcommand wins and an absent one never erases a value given
    before it; `with_global_defaults` fills in what was given nowhere.
    """
    parent = CliParser(add_help=False)
    group = parent.add_argument_group("global options")
    group.add_argument(
        "--home",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="store directory (default: $MULTICODEX_HOME, else the user config directory)",
    )
    group.add_argument(
        "--store",
        metavar="DIR|URL",
        default=argparse.SUPPRESS,
        help="where the accounts are: a directory or a postgresql:// URL "
        "(default: $MULTICODEX_STORE, else the home directory)",
    )
    group.add_argument(
        "--json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print the result as JSON on stdout (machine output)",
    )
    group.add_argument(
        "--auth-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="authorization server (default: $MULTICODEX_AUTH_URL, else auth.openai.com)",
    )
    group.add_argument(
        "--backend-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="Codex backend (default: $MULTICODEX_BACKEND_URL, else chatgpt.com/backend-api)",
    )
    group.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=argparse.SUPPRESS,
        help="log more on stderr (-v info, -vv debug)",
    )
    return parent


def with_global_defaults(args: argparse.Namespace) -> argparse.Namespace:
    for name, value in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    return args


def identifier_argument(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument(
        "identifier",
        nargs=None if required else "?",
        help="email, label, account id, key, or a unique prefix of an email or label",
    )


def add_serve_arguments(serve: argparse.ArgumentParser) -> None:
    """The options of ``multicodex serve`` (its fast path parses them alone)."""
    serve.add_argument("--home", help="store directory when the client names none")
    serve.add_argument("--stdio", action="store_true", help="accepted and ignored (stdio is used)")
