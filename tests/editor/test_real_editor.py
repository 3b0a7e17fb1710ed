"""A real VS Code (code-server) with the packaged extension, in headless Chromium driven by
Playwright, with the real server against the emulator: footer, tooltip, picker, pinning,
rotation on exhaustion during Ask, and the vscode.lm chat-model probe. Screenshots and logs
land in test-artifacts/editor/."""

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
    assert len(report["checks"]) == 7, report["checks"]
