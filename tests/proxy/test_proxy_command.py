"""`multicodex proxy` as a process: the base URL first on stdout, 127.0.0.1 only, a clean
stop on SIGTERM; a turn through it from a client holding the secret."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx2
from proxy_rig import cli_body

from multicodex.store.document import Store
from multicodex_emulator import Emulator
from support.accounts import stored_account

RUN_TIMEOUT = 60.0


def proxy_command(home: Path, base_url: str, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "multicodex", "proxy", "--home", str(home),
        "--auth-url", base_url, "--backend-url", f"{base_url}/backend-api", *extra,
    ]  # fmt: skip


def test_a_host_other_than_loopback_is_a_usage_error(tmp_path: Path) -> None:
    every_interface = "0.0.0.0"  # noqa: S104 (what the command must refuse)
    command = ["multicodex", "proxy", "--home", str(tmp_path), "--host", every_interface]
    run = subprocess.run(
        [sys.executable, "-m", *command],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert run.returncode == 2
    assert "127.0.0.1 only" in run.stderr
    assert "Traceback" not in run.stderr


def test_the_command_prints_its_base_url_serves_a_turn_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    emu = Emulator(tokens_per_second=20000.0)
    home = tmp_path / "home"
    with emu.serve_in_thread() as base_url:
        created = emu.add_account(email="alice@example.com")
        with Store.open(home).transaction() as doc:
            doc.accounts.append(stored_account(emu.issue_tokens(created.account_id)))
        process = subprocess.Popen(
            proxy_command(home, base_url, "--port", "0"),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env={**os.environ, "NO_COLOR": "1"},
        )
        try:
            assert process.stdout is not None
            first = process.stdout.readline().decode().strip()
            assert first.startswith("http://127.0.0.1:")
            assert first.endswith("/backend-api")
            secret = (home / "proxy-secret").read_text().strip()
            response = httpx2.post(
                f"{first}/codex/responses",
                json=cli_body("hi", "thread-cmd"),
                headers={"Authorization": f"Bearer {secret}"},
                timeout=RUN_TIMEOUT,
            )
            assert response.status_code == 200
            assert "response.completed" in response.text
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=RUN_TIMEOUT)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(RUN_TIMEOUT)
    assert process.returncode in (0, 130)
    text = stderr.decode()
    assert "Traceback" not in text
    assert secret not in text
