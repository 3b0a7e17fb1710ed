"""Runs one product subcommand: builds the App, maps failures to exit codes and one line
on stderr, and turns Ctrl-C into exit code 130 after the App has been closed."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Awaitable, Callable

from pydantic import ValidationError

from multicodex import event_loop
from multicodex.app import App, AppError, ClientHooks
from multicodex.app.errors import invalid_params
from multicodex.app.store_repairs import repairs_warning
from multicodex.cli_commands.context import CommandContext, initialization_options
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.failure import CliFailure, one_line
from multicodex.cli_commands.output import Output
from multicodex.cli_commands.parsing import with_global_defaults
from multicodex.cli_commands.prompts import end_open_prompt
from multicodex.logsetup import CLI_LINE, configure_logging, level_for_verbosity
from multicodex.protocol import ImportSourceResult
from multicodex.store.document import QUARANTINE_LOGGER
from multicodex.store.errors import StoreError
from multicodex.store.salvage import REPAIR_LOGGER

UNEXPECTED = "an unexpected error stopped the command; run it again with -vv to see where"
CommandFunc = Callable[[CommandContext], Awaitable[int]]
StandaloneFunc = Callable[[argparse.Namespace, Output], Awaitable[int]]
"""A command that builds its own App (the demo: never the user's store)."""


def run_command(args: argparse.Namespace) -> int:
    """Run ``args.run`` (a subcommand) and return the process exit code."""
    args = with_global_defaults(args)
    out = Output(json_mode=args.json)
    configure_logging(level_for_verbosity(args.verbose), line=CLI_LINE)
    name = f"multicodex {args.command}"
    try:
        return event_loop.run(_run(args, out, name))
    except KeyboardInterrupt:
        end_open_prompt()
        out.note(f"{name}: interrupted")
        return ExitCode.INTERRUPTED


async def _run(args: argparse.Namespace, out: Output, name: str) -> int:
    terminated = _cancel_on_sigterm()
    try:
        standalone: StandaloneFunc | None = getattr(args, "standalone", None)
        if standalone is not None:
            return await standalone(args, out)
        return await _with_app(args, out)
    except asyncio.CancelledError:
        if not terminated.is_set():
            raise  # Ctrl-C: the runner turns it into KeyboardInterrupt
        end_open_prompt()
        out.note(f"{name}: terminated")
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # `multicodex accounts | head -1`: the reader has gone
        _silence_stdout()
        return ExitCode.FAILURE
    except ValidationError as exc:
        return _fail(out, name, CliFailure.from_app_error(invalid_params(exc), args))
    except (AppError, CliFailure, StoreError, OSError, ValueError) as exc:
        return _fail(out, name, _failure(exc, args))
    except Exception:  # never a traceback on the terminal; -vv logs where it happened
        logging.getLogger(__name__).debug("unexpected failure", exc_info=True)
        return _fail(out, name, CliFailure(UNEXPECTED))


async def _with_app(args: argparse.Namespace, out: Output) -> int:
    command: CommandFunc = args.run
    if not args.verbose:  # the command says these itself: repairs at the end, a moved
        # document in its failure line
        for logger in (REPAIR_LOGGER, QUARANTINE_LOGGER):
            logging.getLogger(logger).setLevel(logging.ERROR)
    hooks = ClientHooks()
    options = initialization_options(args, getattr(args, "callback_ports", None))
    app = App(options, hooks=hooks, create_home=getattr(args, "creates_home", True))
    if not app.store.exists:
        out.note(
            f"multicodex: no MultiCodex store at {app.store.home} yet (nothing to show; "
            "`multicodex login` or `multicodex import` creates it)",
            "warning",
        )
    try:
        if getattr(args, "picks_up_pi_login", True):
            _say_pi_login(await app.pick_up_pi_login(), out)
        return await command(CommandContext(app=app, hooks=hooks, out=out, args=args))
    finally:
        await app.aclose(announce=lambda message: out.note(f"multicodex: {message}"))
        _warn_about_repairs(app, out)


def _say_pi_login(result: ImportSourceResult | None, out: Output) -> None:
    """pi's login was new or had changed: say what MultiCodex did with it."""
    if result is None:
        return
    for verb, refs in (("added", result.added), ("took the newer tokens of", result.updated)):
        if refs:
            names = ", ".join(r.display_name for r in refs)
            out.note(f"multicodex: picked up pi's login: {verb} {names}", "info")


def _warn_about_repairs(app: App, out: Output) -> None:
    """The store was used without its invalid parts: one line says what they were."""
    warning = repairs_warning(app.store.path, app.store.repairs_found())
    if warning is not None:
        out.note(f"multicodex: warning: {warning}", "warning")


def _cancel_on_sigterm() -> asyncio.Event:
    """SIGTERM cancels the command like Ctrl-C does, so the App closes properly (token
    refreshes in flight are saved); the returned event tells the two apart."""
    terminated = asyncio.Event()
    task = asyncio.current_task()
    loop = asyncio.get_running_loop()

    def terminate() -> None:
        terminated.set()
        loop.remove_signal_handler(signal.SIGTERM)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second SIGTERM ends it at once
        if task is not None:
            task.cancel()

    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGTERM, terminate)
    return terminated


def _failure(exc: BaseException, args: argparse.Namespace) -> CliFailure:
    if isinstance(exc, CliFailure):
        return exc
    if isinstance(exc, AppError):
        return CliFailure.from_app_error(exc, args)
    if isinstance(exc, OSError) and exc.strerror:
        where = f": {exc.filename}" if exc.filename else ""
        return CliFailure(f"{exc.strerror}{where}")
    return CliFailure(str(exc) or UNEXPECTED)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not complain."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def _fail(out: Output, name: str, failure: CliFailure) -> int:
    out.note(f"{name}: {one_line(failure.message)}", "error")
    return failure.exit_code
