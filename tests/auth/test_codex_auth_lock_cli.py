"""The real Codex CLI (0.169.1 and 0.171.0) honours the lock MultiCodex takes on its
auth.json: a refresh it finishes while MultiCodex holds the lock is committed only after
MultiCodex lets go, so the two never interleave (docs/codex-auth-lock.md).

The CLI runs against the emulator over TLS on 127.0.0.1 with an expired access token, so
it refreshes first; the kernel's lock table (/proc/locks) shows when it is blocked on
``auth.lock``, which makes the test independent of timing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fidelity.fidelity_rig import (
    CODEX_CLIS,
    RUN_TIMEOUT,
    SETUP_TIMEOUT,
    CodexCli,
    CodexHome,
    WallClockBehind,
    install_codex_clis,
    login_with_pkce,
)
from multicodex.auth.importers.codex_lock import codex_auth_lock
from multicodex_emulator import EmuAccount, Emulator

PROC_LOCKS = Path("/proc/locks")
PROMPT = "say hi"
WAITER_DEADLINE = 30.0

pytestmark = [
    pytest.mark.skipif(not PROC_LOCKS.exists(), reason="needs the kernel's /proc/locks"),
    pytest.mark.timeout(SETUP_TIMEOUT + 120),
]


@pytest.fixture(scope="module")
def installed_clis() -> None:
    install_codex_clis()


@pytest.fixture
def wall_clock() -> WallClockBehind:
    return WallClockBehind()


@pytest.fixture
def emu(wall_clock: WallClockBehind) -> Emulator:
    return Emulator(tokens_per_second=0, clock=wall_clock)


@pytest.fixture
def codex_home(emu: Emulator, tmp_path: Path) -> Iterator[CodexHome]:
    with emu.serve_in_thread(tls=True) as base_url:
        yield CodexHome(tmp_path, base_url)


def signed_in_with_expired_token(
    emu: Emulator, home: CodexHome, wall_clock: WallClockBehind
) -> tuple[EmuAccount, str]:
    """Logged in a token lifetime ago: the CLI must refresh before its first call."""
    wall_clock.behind = emu.settings.token_lifetime + 3600
    account = emu.add_account(email="locked@example.test", response_deltas=1)
    emu.authorize_as(account.account_id)
    grant = login_with_pkce(emu, home.base_url)
    home.write_auth(grant, account.account_id)
    emu.advance_clock(wall_clock.behind)
    return account, grant.refresh_token


@contextlib.contextmanager
def running_exec(cli: CodexCli, home: CodexHome, ca_pem: str) -> Iterator[subprocess.Popen[str]]:
    command = [str(cli.path), "exec", "--skip-git-repo-check", "--strict-config", PROMPT]
    process = subprocess.Popen(
        command,
        cwd=home.workdir,
        env=home.environment(ca_pem),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def blocked_flock_waiters(lock_file: Path) -> list[str]:
    """Lines of /proc/locks for processes blocked in flock() on ``lock_file``."""
    inode = lock_file.stat().st_ino
    return [
        line
        for line in PROC_LOCKS.read_text().splitlines()
        if "->" in line and " FLOCK " in line and f":{inode} " in line
    ]


def wait_for_waiter(lock_file: Path, process: subprocess.Popen[str]) -> list[str]:
    deadline = time.monotonic() + WAITER_DEADLINE
    while time.monotonic() < deadline and process.poll() is None:
        waiters = blocked_flock_waiters(lock_file)
        if waiters:
            return waiters
        time.sleep(0.05)
    raise AssertionError(f"the CLI never waited on {lock_file} (exit code {process.poll()})")


@pytest.mark.parametrize("cli", CODEX_CLIS, ids=[cli.version for cli in CODEX_CLIS])
def test_the_cli_commits_its_refresh_only_after_multicodex_lets_go(
    cli: CodexCli,
    installed_clis: None,
    emu: Emulator,
    codex_home: CodexHome,
    wall_clock: WallClockBehind,
) -> None:
    account, old_refresh_token = signed_in_with_expired_token(emu, codex_home, wall_clock)
    before = codex_home.auth_path.read_bytes()
    assert emu.ca_pem_path is not None

    with running_exec(cli, codex_home, emu.ca_pem_path) as process:
        with codex_auth_lock(codex_home.auth_path):
            wait_for_waiter(codex_home.codex_home / "auth.lock", process)
            # The CLI has its new tokens and waits for us: nothing of it is on disk yet.
            assert emu.counters(account.account_id)["refreshes"] == 1
            assert codex_home.auth_path.read_bytes() == before
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT)

    assert process.returncode == 0, stderr
    assert f"Hello from {account.email}." in stdout
    after = codex_home.read_auth()
    assert after.tokens.refresh_token != old_refresh_token
    counters = emu.counters(account.account_id)
    assert counters["refreshes"] == 1
    assert counters["refresh_reused"] == counters["refresh_failures"] == 0
