"""The extension's contract test: the real `multicodex serve`, pointed at the emulator,
driven from Node with vscode-jsonrpc and the extension's own protocol types."""

from __future__ import annotations

import re
import sys

import pytest

from editor.harness import CLIENT, INFO, require_setup, run, server_implemented


@pytest.mark.timeout(360)
def test_contract_with_the_real_server() -> None:
    require_setup(CLIENT / "node_modules" / ".package-lock.json")
    if not server_implemented():
        pytest.xfail("`multicodex serve` is not implemented in this checkout yet")
    result = run(
        ["npm", "run", "test:contract"], timeout=340, env={"MULTICODEX_PYTHON": sys.executable}
    )
    assert result.returncode == 0, result.tail(120)
    failed = re.search(rf"^{INFO} fail (\d+)$", result.output, re.MULTILINE)
    assert failed and int(failed.group(1)) == 0, result.tail(120)
