"""The `multicodex` entry point. ``serve`` is parsed on its own, so the server answers
``initialize`` before the application is loaded; every other command goes through
`multicodex.cli_commands.parser`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if arguments[:1] == ["serve"]:
        return _serve(arguments[1:])
    from multicodex.cli_commands.parser import build_parser, print_help

    parser = build_parser()
    args = parser.parse_args(arguments)
    if args.command == "help":
        return print_help(parser, args)
    if hasattr(args, "run") or hasattr(args, "standalone"):
        from multicodex.cli_commands.runner import run_command

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
    from multicodex.cli_commands.parsing import add_serve_arguments

    parser = argparse.ArgumentParser(
        prog="multicodex serve", description="Run the JSON-RPC server on stdin/stdout."
    )
    add_serve_arguments(parser)
    from multicodex.server import main as serve

    return serve(parser.parse_args(arguments))
