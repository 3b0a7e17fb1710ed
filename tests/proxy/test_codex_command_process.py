"""`multicodex codex` as a parent process: how it finds the CLI (and says how to install
it), what it hands over (the provider options, the secret in the environment, the
arguments untouched), that SIGTERM reaches the CLI and that the CLI's exit code is its own.
A stand-in executable plays the CLI here; the real one is in test_codex_command.py."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from codex_rig import RUN_TIMEOUT, CodexRig, codex_rig

STAND_IN = f"""#!{sys.executable}
import json, os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *_: sys.exit(7))
print(json.dumps({{"argv": sys.argv[1:], "secret": os.environ.get("MULTICODEX_PROXY_SECRET"),
                  "no_proxy": os.environ.get("NO_PROXY")}}), flush=True)
for _ in range(600):
    time.sleep(0.1)
sys.exit(3)
"""


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[CodexRig]:
    with codex_rig(tmp_path) as served:
        yield served


def stand_in(root: Path) -> Path:
    path = root / "fake-codex"
    path.write_text(STAND_IN)
    path.chmod(0o755)
    return path


def test_sigterm_reaches_the_cli_whose_exit_code_and_arguments_are_its_own(
    rig: CodexRig,
) -> None:
    rig.add("alice@example.com")
    env = rig.env(MULTICODEX_CODEX_BIN=str(stand_in(rig.root)), NO_PROXY="example.org")
    process = subprocess.Popen(
        rig.command("exec", "--json", "-m", "gpt-5.5", "a prompt"),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        seen = json.loads(process.stdout.readline())
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=RUN_TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(RUN_TIMEOUT)

    assert process.returncode == 7
    assert "Traceback" not in stderr
    argv: list[str] = seen["argv"]
    assert argv[argv.index("exec") :] == ["exec", "--json", "-m", "gpt-5.5", "a prompt"]
    assert 'model_provider="multicodex"' in argv
    assert any(a.startswith('model_providers.multicodex.base_url="http://127.0.0.1:') for a in argv)
    assert 'model_providers.multicodex.env_key="MULTICODEX_PROXY_SECRET"' in argv
    assert seen["secret"] == (rig.home / "proxy-secret").read_text().strip()
    assert seen["secret"] not in " ".join(argv)
    assert seen["no_proxy"] == "example.org,127.0.0.1,localhost"


@pytest.mark.parametrize("named", [None, "/nowhere/codex"])
def test_a_missing_cli_is_one_line_saying_how_to_install_it(
    rig: CodexRig, named: str | None
) -> None:
    env = rig.env(PATH=str(rig.root))
    del env["MULTICODEX_CODEX_BIN"]
    if named is not None:
        env["MULTICODEX_CODEX_BIN"] = named

    run = rig.run("exec", "hi", env=env)

    assert run.returncode == 1
    assert "npm install -g @openai/codex" in run.stderr
    assert "MULTICODEX_CODEX_BIN" in run.stderr
    assert "Traceback" not in run.stderr
