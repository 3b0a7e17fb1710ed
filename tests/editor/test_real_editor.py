"""A real VS Code (code-server) with the packaged extension, in headless Chromium driven by
Playwright, with the real server against the emulator: footer (with the binding window's
reset time and the pool's headroom), tooltip (with a bar per account and window), a usage
threshold notification shown once, the usage chart webview, picker, pinning,
a crashed server restarted with the configured command and environment, rotation on
exhaustion during Ask (saying why), Ask with no account that can serve, the rotation panel,
device-code login, and the vscode.lm chat-model probe: a streamed answer, an agent's tool
call whose result is answered by another account once the first is exhausted (no error, the
move logged), and an image part reaching the emulator as input_image. Screenshots and logs land in
test-artifacts/editor/; a run first removes what an earlier one left there."""

from __future__ import annotations

import json
import sys

import pytest

from editor.harness import REPO, manifest, run, server_implemented

ARTIFACTS = REPO / "test-artifacts" / "editor"


@pytest.mark.timeout(420)
def test_real_editor() -> None:
    paths = manifest()
    if not server_implemented():
        pytest.xfail("`multicodex serve` is not implemented in this checkout yet")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stale_failure = ARTIFACTS / "failure.png"
    stale_failure.write_bytes(b"left by an earlier failed run")
    result = run(
        [
            paths["node24"],
            "out/e2e/runEditorTest.js",
            "--manifest",
            "build/editor-test.json",
            "--artifacts",
            str(ARTIFACTS),
            "--python",
            sys.executable,
        ],
        timeout=400,
    )
    report_file = ARTIFACTS / "result.json"
    assert report_file.exists(), result.tail()
    report = json.loads(report_file.read_text(encoding="utf-8"))
    failed = [f"{c['name']}: {c['detail']}" for c in report["checks"] if not c["ok"]]
    assert result.returncode == 0 and report["passed"], "\n".join([*failed, result.tail()])
    assert len(report["checks"]) == 17, report["checks"]
    assert not stale_failure.exists(), "a passing run left an earlier run's failure.png"
