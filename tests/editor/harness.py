"""Helpers for the editor-client tests: they run the extension's own test tools
(node's test runner, the Playwright real-editor script) and assert on their results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CLIENT = REPO / "editor-client"
MANIFEST = CLIENT / "build" / "editor-test.json"
SETUP = "bash editor-client/scripts/setup-editor-test.sh"
INFO = "\N{INFORMATION SOURCE}"
"""How node's test runner starts its summary lines."""


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str

    def tail(self, lines: int = 80) -> str:
        return "\n".join(self.output.splitlines()[-lines:])


def require_setup(path: Path) -> None:
    """Fail in CI, skip elsewhere, when the editor test setup has not been run."""
    if path.exists():
        return
    message = f"{path.relative_to(REPO)} is missing: run `{SETUP}` first"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def server_implemented() -> bool:
    """Whether this checkout's CLI has the `serve` command yet."""
    probe = subprocess.run(
        [sys.executable, "-m", "multicodex", "serve", "--help"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    return probe.returncode == 0


def run(command: list[str], timeout: float, env: dict[str, str] | None = None) -> Run:
    completed = subprocess.run(
        command,
        cwd=CLIENT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Run(completed.returncode, completed.stdout)


def manifest() -> dict[str, str]:
    require_setup(MANIFEST)
    data: dict[str, str] = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return data
