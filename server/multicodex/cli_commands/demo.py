"""`multicodex demo`: three emulated ChatGPT accounts behaving as one.

Everything runs on this machine: the emulator of the Codex backend and its authorization
server on 127.0.0.1, and a fresh MultiCodex home in a temporary directory (the user's own
store is never opened). The accounts are imported the way a user would import them, from
Codex CLI ``auth.json`` files, and every step is a real `multicodex` command run against
that home: the same App calls, the same output.

The story: bob has 3 % of his 5-hour window left and the user pins him to spend it. Then
bob's Codex CLI on another machine spends those 3 %, so MultiCodex's cached usage is out of
date. The next question meets a 429 on bob; MultiCodex cools bob down until the reset the
backend gave and finishes the answer on alice, and says why at every step.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from multicodex.app import App, ClientHooks
from multicodex.cli_commands.commands import app_commands_parser
from multicodex.cli_commands.context import CommandContext
from multicodex.cli_commands.exit_codes import ExitCode
from multicodex.cli_commands.failure import CliFailure
from multicodex.cli_commands.output import Output
from multicodex.cli_commands.parsing import CliParser, Subparsers, with_global_defaults
from multicodex.model import window_label
from multicodex.protocol import (
    AccountInfo,
    AccountsListParams,
    CompleteResult,
    InitializationOptions,
)
from multicodex.timefmt import until

if TYPE_CHECKING:
    from multicodex_emulator import Emulator
    from multicodex_emulator.windows import Layout

TOKENS_PER_SECOND = 40.0
"""Slow enough to watch the answer stream, fast enough to finish in about half a second."""
QUESTION = "Say hello from whichever account answers."
RESPONSES_PATH = "/backend-api/codex/responses"
STEPS = 7
DAY = 86400


@dataclass(frozen=True)
class DemoAccount:
    name: str
    plan: str
    five_hour_used: float
    weekly_used: float
    five_hour_resets_in: float | None = None
    layout: Layout | None = None
    """The emulator's window layout; None: the plan's usual one."""

    @property
    def email(self) -> str:
        return f"{self.name}@example.test"


ACCOUNTS = (
    DemoAccount("alice", "plus", five_hour_used=22, weekly_used=35),
    DemoAccount("bob", "plus", five_hour_used=97, weekly_used=61, five_hour_resets_in=83 * 60),
    DemoAccount("carol", "team", five_hour_used=0, weekly_used=70, layout="monthly"),
)
NEAR_LIMIT = ACCOUNTS[1]
RESCUER = ACCOUNTS[0]


def register(sub: Subparsers, common: CliParser) -> None:
    demo = sub.add_parser(
        "demo",
        help="watch MultiCodex rotate three emulated accounts (no network, ~5 s)",
        description="Starts the built-in emulator with three accounts, imports them into a "
        "temporary MultiCodex home and runs real commands against it: a request hits a "
        "429 on the account it was pinned to and finishes on another one.",
    )
    demo.set_defaults(standalone=run_demo)


async def run_demo(args: argparse.Namespace, out: Output) -> int:
    # Imported here: product commands never load the emulator, an optional part.
    try:
        from multicodex_emulator import Emulator
    except ModuleNotFoundError:
        from multicodex.cli_commands.emulator_hint import emulator_missing

        raise CliFailure(emulator_missing()) from None

    narrator = Output(json_mode=False, stdout=out.stdout, stderr=out.stdout)
    emulator = Emulator(tokens_per_second=TOKENS_PER_SECOND)
    with (
        tempfile.TemporaryDirectory(prefix="multicodex-demo-") as tmp,
        emulator.serve_in_thread() as base_url,
    ):
        demo = Demo(narrator, Path(tmp), emulator, base_url)
        try:
            await demo.play()
        finally:
            await demo.close()
    return ExitCode.OK


class Demo:
    def __init__(self, out: Output, root: Path, emulator: Emulator, base_url: str) -> None:
        self.out = out
        self.root = root
        self.emu = emulator
        self.base_url = base_url
        self.ids: dict[str, str] = {}
        """Emulator account id by demo account name."""
        self.hooks = ClientHooks()
        self.app = App(
            InitializationOptions(
                home=str(root / "multicodex"),
                auth_url=base_url,
                backend_url=f"{base_url}/backend-api",
            ),
            hooks=self.hooks,
            env={"HOME": str(root), "PATH": os.environ.get("PATH", "")},
        )
        self.last_answer: CompleteResult | None = None

    async def close(self) -> None:
        await self.app.aclose()

    # -- the story ------------------------------------------------------------------------

    async def play(self) -> None:
        self._title()
        self._create_accounts()
        await self._import_accounts()
        await self._show_pool()
        await self._pin_near_limit_account()
        self._spend_elsewhere()
        await self._ask()
        await self._after()

    def _title(self) -> None:
        self.out.line("MultiCodex demo: three ChatGPT accounts that behave as one", "bold")
        self.out.line(
            "Everything runs here: the built-in emulator of the Codex backend and its sign-in "
            "server on 127.0.0.1, and a fresh MultiCodex home in a temporary directory "
            "(your own accounts are never touched)."
        )

    def _create_accounts(self) -> None:
        self._step(1, f"Three ChatGPT accounts (emulator at {self.base_url})")
        now = self.emu.now()
        for account in ACCOUNTS:
            created = self.emu.add_account(
                email=account.email,
                plan=account.plan,
                five_hour_used=account.five_hour_used,
                weekly_used=account.weekly_used,
                layout=account.layout,
            )
            self.ids[account.name] = created.account_id
            if account.five_hour_resets_in is not None:
                self.emu.set_usage(
                    created.account_id, five_hour_resets_at=now + account.five_hour_resets_in
                )
            self.out.line(
                f"  {account.email:<20} {account.plan:<5} {self._emulated_usage(account)}"
            )
        reset = self._emulator_reset(NEAR_LIMIT)
        self.out.line(
            f"  {NEAR_LIMIT.email} is nearly out: 3 % of its 5-hour window is left, until the "
            f"window resets at {until(reset, now)}.",
            "warning",
        )

    async def _import_accounts(self) -> None:
        self._step(2, "Import them, the way you would import your Codex CLI logins")
        self.out.line(
            "Each account is signed in to the Codex CLI in its own CODEX_HOME (an auth.json "
            "with tokens from the emulator's OAuth endpoints):"
        )
        for account in ACCOUNTS:
            auth_file = self._write_codex_cli_login(account)
            await self._run("import", "codex-cli", "--path", str(auth_file))

    async def _show_pool(self) -> None:
        self._step(3, "The pool: every account's usage, and which one MultiCodex would use")
        await self._run("accounts")

    async def _pin_near_limit_account(self) -> None:
        reset = self._emulator_reset(NEAR_LIMIT)
        self._step(
            4,
            f"You pin {NEAR_LIMIT.name}, to spend its last 3 % before its 5-hour window "
            f"resets at {until(reset, time.time())}",
        )
        await self._run("use", NEAR_LIMIT.name)
        self.out.line("Footer BEFORE:", "bold")
        await self._run("status")

    def _spend_elsewhere(self) -> None:
        self._step(
            5, f"Meanwhile, {NEAR_LIMIT.name}'s Codex CLI on another machine spends those 3 %"
        )
        self.emu.set_usage(self.ids[NEAR_LIMIT.name], five_hour_used=100.0)
        self.out.line(
            f"The emulator now has {NEAR_LIMIT.email}'s 5-hour window at 100 %. MultiCodex "
            f"still has {NEAR_LIMIT.five_hour_used:.0f} % on record (fetched moments ago, so "
            "not due for a refresh): its cached usage is out of date, and the pin still holds."
        )

    async def _ask(self) -> None:
        self._step(6, "Ask a question: the answer streams; switches are explained as they happen")
        await self._run("ask", QUESTION)
        self._backend_view()
        await self._cooldown_view()
        self._reasons()

    async def _after(self) -> None:
        self._step(7, "After")
        self.out.line("Footer AFTER:", "bold")
        await self._run("status")
        self.out.line("Accounts now (from what MultiCodex knows, nothing fetched):", "bold")
        await self._run("accounts", "--cached")
        answer = self.last_answer
        served_by = answer.account.display_name if answer is not None else RESCUER.email
        self.out.line()
        self.out.line(
            f"Summary: one question, {answer.attempts if answer else 2} attempts. "
            f"{NEAR_LIMIT.email} answered 429 (usage limit reached) and rests until its "
            f"reset; {served_by} streamed the whole answer. You saw no error.",
            "success",
        )
        self.out.line(
            "With your own accounts: `multicodex login` (or `multicodex import`), then "
            "`multicodex ask ...`, `multicodex status`, or the VS Code extension."
        )

    # -- what happened, from both sides ------------------------------------------------

    def _backend_view(self) -> None:
        self.out.line("What the backend saw (the emulator's request log):", "bold")
        emails = {self.ids[a.name]: a.email for a in ACCOUNTS}
        for request in self.emu.requests_to(RESPONSES_PATH):
            who = emails.get(request.account_id or "", "unknown account")
            if request.status == 429:
                outcome = f"429 {request.error_code or 'usage limit'}"
            else:
                ending = request.terminal_event or "no terminal event"
                outcome = f"{request.status}, {request.deltas_sent} text deltas, {ending}"
            self.out.line(f"  POST {RESPONSES_PATH} as {who:<20} -> {outcome}")

    async def _cooldown_view(self) -> None:
        listing = await self.app.accounts_list(AccountsListParams(refresh_stale=False))
        bob = _find(listing.accounts, NEAR_LIMIT.email)
        reset = self._emulator_reset(NEAR_LIMIT)
        now = time.time()
        self.out.line(
            f"The backend says {NEAR_LIMIT.email}'s 5-hour window resets at {until(reset, now)}."
        )
        if bob is not None and bob.cooldown_until is not None:
            self.out.line(
                f"MultiCodex put {bob.display_name} on cooldown until "
                f"{until(bob.cooldown_until, now)}: {bob.cooldown_reason}"
            )

    def _reasons(self) -> None:
        answer = self.last_answer
        if answer is None:
            return
        self.out.line("Why MultiCodex chose as it did, in order:", "bold")
        for reason in answer.selection_reasons:
            self.out.line(f"  - {reason}")

    # -- helpers ----------------------------------------------------------------------

    async def _run(self, *argv: str) -> None:
        """Run a real `multicodex` command against the demo's home and print its output."""
        self.out.line(f"$ multicodex {shlex.join(argv)}", "info")
        args = with_global_defaults(app_commands_parser().parse_args(list(argv)))
        ctx = CommandContext(app=self.app, hooks=self.hooks, out=self.out, args=args)
        code = await args.run(ctx)
        if isinstance(ctx.last_result, CompleteResult):
            self.last_answer = ctx.last_result
        if code != ExitCode.OK:
            raise CliFailure(f"`multicodex {shlex.join(argv)}` ended with exit code {code}")

    def _write_codex_cli_login(self, account: DemoAccount) -> Path:
        """What `codex login` leaves in $CODEX_HOME/auth.json, with the emulator's tokens."""
        tokens = self.emu.issue_tokens(self.ids[account.name])
        codex_home = self.root / account.name / ".codex"
        codex_home.mkdir(parents=True)
        auth_file = codex_home / "auth.json"
        document = {
            "auth_mode": "chatgpt",
            "OPENAI_API_KEY": None,
            "tokens": {
                "id_token": tokens["id_token"],
                "access_token": tokens["access_token"],
                "refresh_token": tokens["refresh_token"],
                "account_id": self.ids[account.name],
            },
            "last_refresh": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        descriptor = os.open(auth_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2)
        return auth_file

    def _emulated_usage(self, account: DemoAccount) -> str:
        windows = self.emu.account(self.ids[account.name]).windows
        return ", ".join(
            f"{window_label(w.window_seconds)} {w.used_percent:.0f}% used" for w in windows
        )

    def _emulator_reset(self, account: DemoAccount) -> float:
        windows = self.emu.account(self.ids[account.name]).windows
        five_hour = [w for w in windows if w.window_seconds < DAY]
        return float((five_hour or windows)[0].reset_at)

    def _step(self, number: int, title: str) -> None:
        self.out.line()
        self.out.line(f"[{number}/{STEPS}] {title}", "bold")


def _find(accounts: list[AccountInfo], email: str) -> AccountInfo | None:
    return next((a for a in accounts if a.email == email), None)
