"""`ask`: one completion through the pool. The answer streams to stdout as it arrives;
which account serves it, switches and notices go to stderr. Ctrl-C cancels the upstream
request (the command then exits 130)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass, field

from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.failure import CliFailure
from multicodex.cli_commands.output import Output, Style
from multicodex.cli_commands.parsing import CliParser, Subparsers
from multicodex.cli_commands.prompts import read_all, stdin_is_terminal
from multicodex.cli_commands.spend_prompt import terminal_confirm
from multicodex.protocol import (
    CompleteParams,
    CompleteResult,
    CompletionDelta,
    ModelsListParams,
)
from multicodex.timefmt import until

PREFIX = "multicodex: "
USAGE_FETCH_SECONDS = 5.0
log = logging.getLogger(__name__)


def register(sub: Subparsers, common: CliParser) -> None:
    ask = sub.add_parser(
        "ask",
        parents=[common],
        help="ask Codex something; the answer streams to stdout",
        description="Sends the prompt (the words given, else stdin) through the pool. If an "
        "account hits its limit before any output, MultiCodex cools it down and carries on "
        "with another one, and says so on stderr.",
    )
    ask.add_argument("prompt", nargs="*", help="the prompt (default: read from stdin)")
    ask.add_argument("--model", help="model slug (default: the backend's default model)")
    ask.add_argument("--instructions", help="system instructions")
    ask.add_argument(
        "--conversation",
        metavar="ID",
        help="conversation id: keys the backend's prompt cache (keeping a conversation on "
        "one account applies within one running MultiCodex, such as the editor's server)",
    )
    ask.add_argument(
        "--account",
        metavar="IDENTIFIER",
        help="serve this request with this account only (the pin stays as it is); if it "
        "cannot serve, the command fails instead of using another one",
    )
    ask.add_argument(
        "--wait",
        dest="wait_for_reset_seconds",
        type=float,
        metavar="SECONDS",
        help="when every account is exhausted, wait up to this long for the earliest reset",
    )
    ask.set_defaults(run=run_ask)


async def run_ask(ctx: CommandContext) -> int:
    ctx.hooks.usage_notice = lambda notice: ctx.out.note(PREFIX + notice.message, "warning")
    prompt = await _prompt(ctx.args.prompt)
    named = ctx.resolve(ctx.args.account).key if ctx.args.account else None
    await _refresh_stale_usage(ctx)
    model = ctx.args.model or (await ctx.app.models_list(ModelsListParams())).default_model
    printer = DeltaPrinter(ctx.out)
    ctx.hooks.completion_delta = printer.show
    ctx.hooks.confirm_reset_credit = terminal_confirm(ctx.out)
    params = CompleteParams(
        stream_id=f"cli-{uuid.uuid4().hex[:12]}",
        model=model,
        prompt=prompt,
        instructions=ctx.args.instructions,
        conversation_id=ctx.args.conversation,
        wait_for_reset_seconds=ctx.args.wait_for_reset_seconds,
        account_key=named,
    )
    try:
        result = await ctx.app.complete(params)
    finally:
        printer.end_text()
    ctx.last_result = result
    await ctx.app.check_usage_thresholds()  # a threshold this answer crossed, said once
    if ctx.out.json_mode:
        ctx.out.result(result)
    else:
        ctx.out.note(PREFIX + answered_by(result), "dim")
        waiting = needs_login_line([a.display_name for a in ctx.app.snapshot().needs_reauth()])
        if waiting:
            ctx.out.note(PREFIX + waiting, "warning")
    return ExitCode.OK


async def _refresh_stale_usage(ctx: CommandContext) -> None:
    """What the server keeps doing in the background: usage older than its time to live
    is fetched again before an account is chosen, so the choice does not rest on numbers
    the backend has moved past (at most a few seconds; then the choice uses what is known)."""
    try:
        async with asyncio.timeout(USAGE_FETCH_SECONDS):
            await ctx.app.refresh_stale_usage()
    except Exception as exc:  # the request itself reports a store that cannot be used
        log.info("stale usage was not fetched before choosing: %s", exc or "timed out")


def needs_login_line(names: list[str]) -> str | None:
    """The accounts the pool is serving without, and the fix, in one line."""
    if not names:
        return None
    if len(names) == 1:
        return f"1 account needs a new login: {names[0]} - run `multicodex reauth {names[0]}`"
    return (
        f"{len(names)} accounts need a new login: {', '.join(names)} - "
        "run `multicodex reauth NAME` for each"
    )


async def _prompt(words: list[str]) -> str:
    if words:
        return " ".join(words)
    if stdin_is_terminal():
        raise CliFailure("give a prompt (as arguments, or on stdin)", ExitCode.USAGE)
    text = (await read_all()).strip()
    if not text:
        raise CliFailure("the prompt is empty", ExitCode.USAGE)
    return text


def answered_by(result: CompleteResult) -> str:
    switches = len(result.switches)
    moved = f", {switches} switch{'es' if switches != 1 else ''}" if switches else ""
    tail = f"; stopped early: {result.incomplete_reason}" if result.status == "incomplete" else ""
    return f"answered by {result.account.display_name} ({result.attempts} attempt(s){moved}){tail}"


@dataclass
class DeltaPrinter:
    """Text to stdout as it streams (not with --json); everything else to stderr."""

    out: Output
    open_line: bool = False
    seen: list[CompletionDelta] = field(default_factory=list)

    def show(self, delta: CompletionDelta) -> None:
        self.seen.append(delta)
        if delta.kind == "text":
            if not self.out.json_mode:
                self.out.write(delta.text)
                self.open_line = not delta.text.endswith("\n")
            return
        self.end_text()
        if delta.kind == "reasoning":
            self.out.note(delta.text, "dim")
        else:
            self.out.note(PREFIX + describe(delta), _STYLE.get(delta.kind))

    def end_text(self) -> None:
        if self.open_line:
            self.out.line()
            self.open_line = False


_STYLE: dict[str, Style] = {"start": "dim", "switch": "warning", "notice": "warning"}


def describe(delta: CompletionDelta) -> str:
    """A start, switch or notice delta in one line."""
    if delta.kind == "notice" and delta.until is not None:
        return f"{delta.text} ({until(delta.until, time.time())})"
    if delta.reason and delta.reason != delta.text:
        return f"{delta.text} - {delta.reason}"
    return delta.text
