"""`multicodex codex …` as a user runs it: a real process over a store whose accounts live
in an emulator on 127.0.0.1, with the real Codex CLI 0.171.0 (tests/fidelity's npm install)
as ``MULTICODEX_CODEX_BIN`` and a CODEX_HOME of the user's own holding their settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from multicodex.model import StoredAccount
from multicodex.store.document import Store
from multicodex_emulator import EmuAccount, Emulator
from multicodex_emulator.models import RecordedRequest
from support.accounts import stored_account

CODEX_JS = Path(__file__).resolve().parents[1] / "fidelity/node_modules/codex-0171/bin/codex.js"
RESPONSES = "/backend-api/codex/responses"
RUN_TIMEOUT = 120.0
DEAD_PROXY = "http://127.0.0.1:9"
USER_CONFIG = 'model = "gpt-5.5"\ncheck_for_update_on_startup = false\n'
"""The user's own ~/.codex/config.toml: it must still apply, and stay as it was."""

needs_codex = pytest.mark.usefixtures("codex_cli_installed")
"""The real CLI is part of the suite: installed from npm by tests/fidelity/setup.sh on first
use (a failed install fails the test; it is never skipped)."""


@dataclass
class CodexRun:
    returncode: int
    stdout: str
    stderr: str

    def events(self) -> list[dict[str, Any]]:
        """`codex exec --json`'s events."""
        return [json.loads(line) for line in self.stdout.splitlines() if line.startswith("{")]

    def messages(self) -> list[str]:
        return [
            str(e["item"].get("text", ""))
            for e in self.events()
            if e.get("type") == "item.completed" and e["item"].get("type") == "agent_message"
        ]

    def errors(self) -> list[dict[str, Any]]:
        return [e for e in self.events() if e.get("type") in ("error", "turn.failed")]


@dataclass
class CodexRig:
    emu: Emulator
    base_url: str
    root: Path

    @property
    def home(self) -> Path:
        return self.root / "multicodex-home"

    @property
    def codex_home(self) -> Path:
        return self.root / "codex-home"

    def add(self, email: str, **kwargs: Any) -> tuple[EmuAccount, StoredAccount]:
        created = self.emu.add_account(email=email, **kwargs)
        account = stored_account(self.emu.issue_tokens(created.account_id))
        with Store.open(self.home).transaction() as doc:
            doc.accounts.append(account)
        return created, account

    def pin(self, account: StoredAccount) -> None:
        with Store.open(self.home).transaction() as doc:
            doc.pinned = account.key

    def upstream_turns(self) -> list[RecordedRequest]:
        return [r for r in self.emu.requests_to(RESPONSES) if r.method == "POST"]

    def env(self, **extra: str) -> dict[str, str]:
        return {
            "PATH": os.environ["PATH"],
            "HOME": str(self.root),
            "TERM": "xterm",
            "NO_COLOR": "1",
            "CODEX_HOME": str(self.codex_home),
            "MULTICODEX_CODEX_BIN": str(CODEX_JS),
            # nothing leaves the machine: every proxy variable points at a dead port
            "HTTP_PROXY": DEAD_PROXY,
            "HTTPS_PROXY": DEAD_PROXY,
            "NO_PROXY": "127.0.0.1,localhost",
            **extra,
        }

    def command(self, *codex_args: str) -> list[str]:
        return [
            sys.executable, "-m", "multicodex", "--home", str(self.home),
            "--auth-url", self.base_url, "--backend-url", f"{self.base_url}/backend-api",
            "codex", *codex_args,
        ]  # fmt: skip

    def run(self, *codex_args: str, env: dict[str, str] | None = None) -> CodexRun:
        done = subprocess.run(
            self.command(*codex_args),
            env=env or self.env(),
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
        return CodexRun(done.returncode, done.stdout, done.stderr)

    def exec(self, prompt: str, *options: str) -> CodexRun:
        return self.run("exec", "--skip-git-repo-check", "--json", *options, prompt)


@contextmanager
def codex_rig(root: Path) -> Iterator[CodexRig]:
    emu = Emulator(tokens_per_second=20000.0)
    with emu.serve_in_thread() as base_url:
        rig = CodexRig(emu=emu, base_url=base_url, root=root)
        rig.codex_home.mkdir()
        (rig.codex_home / "config.toml").write_text(USER_CONFIG)
        yield rig
