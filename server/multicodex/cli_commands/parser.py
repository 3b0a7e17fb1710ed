"""The whole `multicodex` command line: the App commands, the demo, the emulator and the
server (whose fast path, `multicodex serve`, never builds this parser)."""

from __future__ import annotations

import argparse

from multicodex import __version__
from multicodex.cli_commands import codex_run, demo, proxy
from multicodex.cli_commands.commands import add_app_commands
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.parsing import (
    CliParser,
    Subparsers,
    add_serve_arguments,
    global_options,
)


def build_parser() -> CliParser:
    parser = CliParser(
        prog="multicodex",
        description="Several ChatGPT Codex subscriptions that behave as one account.",
        epilog="Exit codes: 0 ok, 1 failure, 2 usage, 3 unknown account, 4 needs re-auth, "
        "5 no account can serve now, 130 interrupted.",
        parents=[global_options()],
    )
    parser.add_argument("--version", action="version", version=f"multicodex {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _add_emulator(sub)
    add_serve_arguments(
        sub.add_parser("serve", help="run the JSON-RPC server on stdin/stdout (for editors)")
    )
    add_app_commands(sub)
    proxy.register(sub, global_options())
    codex_run.register(sub)
    demo.register(sub, global_options())
    _add_help(sub)
    return parser


def _add_help(sub: Subparsers) -> None:
    """The original's `help` (hidden: `--help` is the word the help itself lists)."""
    shown = sub.add_parser("help", description="The same as --help; `help COMMAND` too.")
    shown.add_argument("topic", nargs="?", metavar="COMMAND")
    shown.set_defaults(help_topics=sub.choices)  # every command, this one added last


def print_help(parser: CliParser, args: argparse.Namespace) -> int:
    """``multicodex help [COMMAND]``: the help of the whole command, or of one."""
    topics: dict[str, argparse.ArgumentParser] = args.help_topics
    if args.topic is None:
        parser.print_help()
    elif args.topic in topics:
        topics[args.topic].print_help()
    else:
        parser.error(f"no command {args.topic!r}")
    return ExitCode.OK


def _add_emulator(sub: Subparsers) -> None:
    emulator = sub.add_parser("emulator", help="run the loopback Codex backend emulator")
    emulator.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    emulator.add_argument("--accounts", type=int, default=0, help="accounts to create at start")
    emulator.add_argument("--tls", action="store_true", help="serve https with a generated CA")
    emulator.add_argument(
        "--token-lifetime", type=int, default=864000, help="access-token lifetime in seconds"
    )
    emulator.add_argument(
        "--tokens-per-second", type=float, default=200.0, help="streamed text rate"
    )
