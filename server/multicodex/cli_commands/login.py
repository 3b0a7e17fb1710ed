"""`login` and `reauth`: sign in with a browser (the default), a device code, or by pasting
the address the browser landed on. The wait is bounded; Ctrl-C cancels the login."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import webbrowser
from collections.abc import Callable

from multicodex.app import AppError
from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.failure import CliFailure
from multicodex.cli_commands.output import Output
from multicodex.cli_commands.parsing import CliParser, Subparsers, identifier_argument
from multicodex.cli_commands.prompts import read_line
from multicodex.protocol import (
    ErrorCode,
    LoginFailedData,
    LoginIdParams,
    LoginPasteParams,
    LoginProgress,
    LoginResult,
    LoginStartParams,
    LoginStartResult,
)
from multicodex.timefmt import until

PASTE_PROMPT = "Paste the address your browser landed on (or the code): "
OUTCOME_TEXT = {
    "added": "Added",
    "updated": "Updated the tokens of",
    "reauthenticated": "Re-authenticated",
}


def register(sub: Subparsers, common: CliParser) -> None:
    login = sub.add_parser(
        "login",
        parents=[common],
        help="add an account by signing in to ChatGPT",
        description="Opens the sign-in page in your browser and waits for it to come back "
        "to a loopback address. --paste asks for the address instead (for a browser on "
        "another machine); --device signs in with a code entered on another device.",
    )
    login.add_argument("--label", help="display name for the account")
    login.add_argument("--pin", action="store_true", help="pin the account once signed in")
    _login_options(login)
    login.set_defaults(run=run_login, identifier=None)

    reauth = sub.add_parser(
        "reauth",
        parents=[common],
        help="sign an account in again (same ChatGPT identity)",
    )
    identifier_argument(reauth)
    _login_options(reauth)
    reauth.set_defaults(run=run_login, label=None, pin=False)


def _login_options(parser: argparse.ArgumentParser) -> None:
    how = parser.add_mutually_exclusive_group()
    how.add_argument("--device", action="store_true", help="sign in with a device code")
    how.add_argument(
        "--paste", action="store_true", help="paste the redirect address (or code) when asked"
    )
    parser.add_argument(
        "--no-browser", action="store_true", help="print the address, do not open a browser"
    )
    parser.add_argument(
        "--timeout",
        dest="timeout_seconds",
        type=float,
        metavar="SECONDS",
        help="give up after this long (30-1800; default 300, device 900)",
    )
    parser.add_argument(
        "--callback-port",
        dest="callback_ports",
        type=int,
        action="append",
        metavar="PORT",
        help="loopback port for the browser's return (default 1455, then 1457; repeatable)",
    )


async def run_login(ctx: CommandContext) -> int:
    args = ctx.args
    reauth_key = ctx.resolve(args.identifier).key if args.identifier else None
    ctx.hooks.open_url = _browser_opener(enabled=not args.no_browser)
    ctx.hooks.login_progress = lambda progress: _progress(ctx.out, progress)
    started = await ctx.app.login_start(
        LoginStartParams(
            method="device" if args.device else "browser",
            label=args.label,
            reauth=reauth_key,
            pin=args.pin,
            open_browser=not args.no_browser,
            timeout_seconds=args.timeout_seconds,
        )
    )
    _instructions(ctx.out, started)
    result = await (_wait_or_paste(ctx, started) if args.paste else _wait(ctx, started))
    return _finished(ctx, result)


def _instructions(out: Output, started: LoginStartResult) -> None:
    now = time.time()
    if started.method == "device":
        out.note(f"Enter the code {started.user_code} at {started.verification_url}", "bold")
    else:
        out.note("Sign in to ChatGPT at this address:")
        out.note(started.authorize_url or "", "accent")
        if started.browser_open_requested:
            out.note("(opened in your browser)", "dim")
        if not started.callback_listening:
            out.note(
                "The loopback callback ports are busy: after signing in, paste the address "
                "the browser shows.",
                "warning",
            )
    out.note(f"This login expires at {until(started.expires_at, now)}; Ctrl-C cancels.", "dim")


async def _wait(ctx: CommandContext, started: LoginStartResult) -> LoginResult:
    if started.method == "browser" and not started.callback_listening:
        return await _paste_until_done(ctx, started.login_id)
    return await ctx.app.login_wait(LoginIdParams(login_id=started.login_id))


async def _wait_or_paste(ctx: CommandContext, started: LoginStartResult) -> LoginResult:
    """Whichever comes first: the browser's return to the loopback address, or a paste."""
    waiting = asyncio.ensure_future(ctx.app.login_wait(LoginIdParams(login_id=started.login_id)))
    pasting = asyncio.ensure_future(_paste_until_done(ctx, started.login_id))
    try:
        done, _ = await asyncio.wait({waiting, pasting}, return_when=asyncio.FIRST_COMPLETED)
        first = waiting if waiting in done else pasting
        return first.result()
    finally:
        for task in (waiting, pasting):
            task.cancel()
        await asyncio.gather(waiting, pasting, return_exceptions=True)


async def _paste_until_done(ctx: CommandContext, login_id: str) -> LoginResult:
    while True:
        text = await read_line(PASTE_PROMPT)
        if text is None:
            raise CliFailure("nothing was pasted (end of input); the login was cancelled")
        if not text.strip():
            continue
        try:
            return await ctx.app.login_paste(LoginPasteParams(login_id=login_id, text=text.strip()))
        except AppError as exc:
            if not _can_retry(exc):
                raise
            ctx.out.note(f"{exc.message}; try again", "warning")


def _can_retry(exc: AppError) -> bool:
    data = exc.data
    return exc.code == ErrorCode.LOGIN_FAILED and isinstance(data, LoginFailedData) and data.pending


def _finished(ctx: CommandContext, result: LoginResult) -> int:
    if ctx.out.json_mode:
        ctx.out.result(result)
        return ExitCode.OK
    account = result.account
    pinned = " and pinned it" if result.pinned else ""
    ctx.out.line(f"{OUTCOME_TEXT[result.outcome]} {account.display_name}{pinned}", "success")
    ctx.out.line(account.status_line)
    return ExitCode.OK


def _progress(out: Output, progress: LoginProgress) -> None:
    out.note(progress.message, "dim")


def _browser_opener(enabled: bool) -> Callable[[str], bool]:
    def open_url(url: str) -> bool:
        if not enabled or not _graphical_browser_likely():
            return False
        try:
            return webbrowser.open(url, new=2)
        except webbrowser.Error:
            return False

    return open_url


def _graphical_browser_likely() -> bool:
    """Only start a browser where one can appear without taking over this terminal."""
    if sys.platform in ("darwin", "win32") or os.environ.get("BROWSER"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
