"""The extension's TypeScript: strict type-check and node's test runner on the pure modules."""

from __future__ import annotations

import re

import pytest

from editor.harness import CLIENT, INFO, require_setup, run


@pytest.fixture(autouse=True)
def _installed() -> None:
    require_setup(CLIENT / "node_modules" / ".package-lock.json")


@pytest.mark.timeout(300)
def test_typescript_type_checks_strictly() -> None:
    result = run(["npm", "run", "--silent", "typecheck"], timeout=280)
    assert result.returncode == 0, result.tail()


@pytest.mark.timeout(300)
def test_unit_tests_pass() -> None:
    result = run(["npm", "test"], timeout=280)
    assert result.returncode == 0, result.tail()
    passed = re.search(rf"^{INFO} pass (\d+)$", result.output, re.MULTILINE)
    failed = re.search(rf"^{INFO} fail (\d+)$", result.output, re.MULTILINE)
    assert passed and int(passed.group(1)) > 0, result.tail()
    assert failed and int(failed.group(1)) == 0, result.tail()
