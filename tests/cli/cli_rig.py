"""The real `multicodex` command as a subprocess, pointed at an emulator on 127.0.0.1, with
its store and every other tool's credential location inside the test's directory.

Every run is recorded; at the end of a test `assert_clean` checks that no output carried
a token the emulator minted (or anything shaped like one) or a traceback."""

from __future__ import annotations

import json
import os
import re
import select
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from multicodex.model import identity_key
from multicodex.store.document import Store
from multicodex.store.schema import StoreDocument
from multicodex_emulator import EmuAccount, Emulator
from support.accounts import stored_account, write_codex_auth

TOKEN_SHAPE = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}|\brt_[\w-]{20,}|\bac_[\w-]{20,}")
RUN_TIMEOUT = 60.0
RESPONSES_PATH = "/backend-api/codex/responses"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def read_until(stream: IO[bytes] | None, marker: bytes, timeout: float = RUN_TIMEOUT) -> bytes:
    """Bytes from a started command's pipe up to and including ``marker`` (bounded wait)."""
    assert stream is not None
    deadline = time.monotonic() + timeout
    seen = b""
    while marker not in seen:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"no {marker!r} within {timeout} s; got {seen!r}"
        ready, _, _ = select.select([stream], [], [], remaining)
        if not ready:
            continue
        chunk = os.read(stream.fileno(), 4096)
        assert chunk, f"the command ended before printing {marker!r}: {seen!r}"
        seen += chunk
    return seen


@dataclass
class CliResult:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    def one_line_error(self) -> str:
        """The single stderr line a failed command leaves (asserts there is exactly one)."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, f"expected one stderr line, got: {self.stderr!r}"
        return lines[0]


@dataclass
class CliRig:
    emu: Emulator
    base_url: str
    root: Path
    results: list[CliResult] = field(default_factory=list, repr=False)
    issued: list[str] = field(default_factory=list, repr=False)
    """Every token handed out through this rig."""

    @property
    def home(self) -> Path:
        return self.root / "home"

    def env(self, **extra: str) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root / "user"),
            "CODEX_HOME": str(self.root / "user" / ".codex"),
            "PI_CODING_AGENT_DIR": str(self.root / "user" / ".pi" / "agent"),
            "MULTICODEX_HOME": str(self.home),
            "MULTICODEX_AUTH_URL": self.base_url,
            "MULTICODEX_BACKEND_URL": f"{self.base_url}/backend-api",
            "NO_COLOR": "1",
        }
        for name in ("PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL", "SYSTEMROOT"):
            if name in os.environ:
                env[name] = os.environ[name]
        env.update(extra)
        return env

    # -- running the command ---------------------------------------------------------------

    def run(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> CliResult:
        completed = subprocess.run(
            [sys.executable, "-m", "multicodex", *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env=env or self.env(),
            cwd=self.root,
            timeout=RUN_TIMEOUT,
            check=False,
        )
        return self.record(args, completed.returncode, completed.stdout, completed.stderr)

    def run_many(
        self, *commands: tuple[str, ...], env: dict[str, str] | None = None
    ) -> list[CliResult]:
        """Independent commands run side by side (each with empty stdin), in order."""
        started = [
            (args, self.start(*args, stdin=subprocess.DEVNULL, env=env)) for args in commands
        ]
        return [self.finish(process, *args) for args, process in started]

    def start(
        self, *args: str, stdin: int | IO[Any] = subprocess.PIPE, env: dict[str, str] | None = None
    ) -> subprocess.Popen[bytes]:
        """The command running in the background (binary pipes), for interactive tests."""
        return subprocess.Popen(
            [sys.executable, "-m", "multicodex", *args],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env or self.env(),
            cwd=self.root,
        )

    def finish(self, process: subprocess.Popen[bytes], *args: str, sent: bytes = b"") -> CliResult:
        """Wait (bounded) for a started command and record what it printed."""
        try:
            out, err = process.communicate(timeout=RUN_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
        return self.record(
            args, process.returncode, out.decode(errors="replace"), err.decode(errors="replace")
        )

    def record(self, args: tuple[str, ...], code: int, stdout: str, stderr: str) -> CliResult:
        result = CliResult(args=args, code=code, stdout=stdout, stderr=stderr)
        self.results.append(result)
        return result

    # -- accounts ------------------------------------------------------------------------

    def seed(self, name: str, **account_args: Any) -> EmuAccount:
        """An emulator account whose fresh tokens are put in the store directly."""
        created = self.emu.add_account(email=f"{name}@example.test", **account_args)
        account = stored_account(self.tokens_for(created))
        with Store.open(self.home).transaction() as doc:
            doc.accounts.append(account)
        return created

    def stored(self) -> StoreDocument:
        """The store document as the command left it."""
        return Store.open(self.home).read()

    def stored_emails(self) -> list[str | None]:
        return [a.email for a in self.stored().accounts]

    def tokens_for(self, account: EmuAccount) -> dict[str, Any]:
        tokens = self.emu.issue_tokens(account.account_id)
        self.issued += [tokens["access_token"], tokens["refresh_token"], tokens["id_token"]]
        return tokens

    def key_of(self, account: EmuAccount) -> str:
        return identity_key(account.account_id, account.email)

    def write_codex_auth(self, account: EmuAccount) -> Path:
        """A Codex CLI auth.json (as `codex login` leaves it) holding fresh tokens."""
        path = self.root / "codex" / account.email / "auth.json"
        return write_codex_auth(path, self.tokens_for(account), account.account_id)

    # -- the secrets check -----------------------------------------------------------------

    def known_tokens(self) -> set[str]:
        tokens = set(self.issued)
        store_file = self.home / "accounts.json"
        if store_file.exists():
            for account in json.loads(store_file.read_text()).get("accounts", []):
                for name in ("access_token", "refresh_token", "id_token"):
                    value = account.get("tokens", {}).get(name)
                    if value:
                        tokens.add(value)
        return tokens

    def assert_clean(self) -> None:
        tokens = self.known_tokens()
        for result in self.results:
            for stream in (result.stdout, result.stderr):
                assert "Traceback" not in stream, f"{result.args}: {stream[-2000:]}"
                leaked = TOKEN_SHAPE.search(stream)
                assert leaked is None, f"{result.args} printed something token-shaped"
                assert not any(t in stream for t in tokens), f"{result.args} printed a token"
