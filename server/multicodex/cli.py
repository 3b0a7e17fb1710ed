"""The `multicodex` command line. Each subcommand translates to the core and back."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from multicodex.cli_commands import register_commands, run_command
from multicodex.cli_commands.parsing import CliParser, global_options


def build_parser() -> argparse.ArgumentParser:
    parser = CliParser(
        prog="multicodex",
        description="Several ChatGPT Codex subscriptions that behave as one account.",
        epilog="Exit codes: 0 ok, 1 failure, 2 usage, 3 unknown account, 4 needs re-auth, "
        "5 no account can serve now, 130 interrupted.",
        parents=[global_options()],
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

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
    serve = sub.add_parser("serve", help="run the JSON-RPC server on stdin/stdout (for editors)")
    serve.add_argument("--home", help="store directory when the client names none")
    serve.add_argument("--stdio", action="store_true", help="accepted and ignored (stdio is used)")
    register_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if hasattr(args, "run") or hasattr(args, "standalone"):
        return run_command(args)
    if args.command == "emulator":
        from multicodex.emulator.run import run_from_cli

        return run_from_cli(args)
    if args.command == "serve":
        from multicodex.server import main as serve

        return serve(args)
    print(f"multicodex: unknown command {args.command}", file=sys.stderr)
    return 2
