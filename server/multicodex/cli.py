"""The `multicodex` command line. Each subcommand translates to the core and back."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def build_parser() -> argparse.ArgumentParser:
    from multicodex.cli_commands import register_commands
    from multicodex.cli_commands.parsing import CliParser, global_options

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
    add_serve_arguments(
        sub.add_parser("serve", help="run the JSON-RPC server on stdin/stdout (for editors)")
    )
    register_commands(sub)
    return parser


def add_serve_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--home", help="store directory when the client names none")
    serve.add_argument("--stdio", action="store_true", help="accepted and ignored (stdio is used)")


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        return _serve(arguments[1:])
    args = build_parser().parse_args(arguments)
    if hasattr(args, "run") or hasattr(args, "standalone"):
        from multicodex.cli_commands import run_command

        return run_command(args)
    if args.command == "emulator":
        return _emulator(args)
    if args.command == "serve":
        from multicodex.server import main as serve

        return serve(args)
    print(f"multicodex: unknown command {args.command}", file=sys.stderr)
    return 2


def _emulator(args: argparse.Namespace) -> int:
    """``multicodex emulator``: the only place besides the demo that loads the emulator,
    an optional part (the ``emulator`` extra) the product never imports."""
    try:
        from multicodex_emulator.run import run_from_cli
    except ModuleNotFoundError:
        from multicodex.cli_commands.emulator_hint import emulator_missing

        print(f"multicodex emulator: {emulator_missing()}", file=sys.stderr)
        return 1
    return run_from_cli(args)


def _serve(arguments: list[str]) -> int:
    """``multicodex serve``, parsed without loading the other commands: they import the
    whole application, which the server loads only after answering ``initialize``."""
    parser = argparse.ArgumentParser(
        prog="multicodex serve", description="Run the JSON-RPC server on stdin/stdout."
    )
    add_serve_arguments(parser)
    from multicodex.server import main as serve

    return serve(parser.parse_args(arguments))
