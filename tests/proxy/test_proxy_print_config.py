"""`multicodex proxy --print-config`: what it prints is a working permanent setup. The
provider block goes into the Codex CLI's config.toml as printed, the environment line
gives the secret, and the real Codex CLI 0.171.0 then runs its turn through
`multicodex proxy --port` on the same port."""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from codex_rig import CODEX_JS, RUN_TIMEOUT, USER_CONFIG, CodexRig, CodexRun, codex_rig, needs_codex


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[CodexRig]:
    with codex_rig(tmp_path) as served:
        yield served


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def multicodex(rig: CodexRig, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "multicodex", "--home", str(rig.home), "--auth-url", rig.base_url,
        "--backend-url", f"{rig.base_url}/backend-api", *args,
    ]  # fmt: skip


def printed_setup(rig: CodexRig, *args: str) -> tuple[str, dict[str, str]]:
    """The printed config.toml part and the variables of its export lines."""
    run = subprocess.run(
        multicodex(rig, "proxy", "--print-config", *args),
        env=rig.env(),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    assert run.returncode == 0, run.stderr
    exports = dict(
        shlex.split(line)[1].split("=", 1)
        for line in run.stdout.splitlines()
        if line.startswith("export ")
    )
    toml = "\n".join(line for line in run.stdout.splitlines() if not line.startswith("export "))
    return toml, exports


def test_the_printed_config_names_the_port_and_the_stored_secret(rig: CodexRig) -> None:
    toml, exports = printed_setup(rig, "--port", "18999")

    config = tomllib.loads(toml)
    assert config["model_provider"] == "multicodex"
    provider = config["model_providers"]["multicodex"]
    assert provider["base_url"] == "http://127.0.0.1:18999/backend-api/codex"
    assert provider["wire_api"] == "responses"
    assert exports == {provider["env_key"]: (rig.home / "proxy-secret").read_text().strip()}
    default_toml, _ = printed_setup(rig)
    assert "http://127.0.0.1:18765/backend-api/codex" in default_toml


@needs_codex
def test_the_codex_cli_runs_a_turn_on_the_printed_permanent_setup(rig: CodexRig) -> None:
    rig.add("alice@example.com")
    port = free_port()
    toml, exports = printed_setup(rig, "--port", str(port))
    # the provider block first: its model_provider is a top-level key
    (rig.codex_home / "config.toml").write_text(toml + "\n" + USER_CONFIG)
    proxy = subprocess.Popen(
        multicodex(rig, "proxy", "--port", str(port)),
        env=rig.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proxy.stdout is not None
        assert proxy.stdout.readline().strip() == f"http://127.0.0.1:{port}/backend-api"
        done = subprocess.run(
            [str(CODEX_JS), "exec", "--skip-git-repo-check", "--json", "say hi"],
            env={**rig.env(), **exports, "PATH": os.environ["PATH"]},
            cwd=rig.root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT,
        )
    finally:
        proxy.terminate()
        proxy.wait(RUN_TIMEOUT)

    run = CodexRun(done.returncode, done.stdout, done.stderr)
    assert run.returncode == 0, run.stderr
    assert any("Hello from alice@example.com" in m for m in run.messages())
    assert [r.status for r in rig.upstream_turns()] == [200]
