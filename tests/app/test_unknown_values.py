"""One rule for stored values this version does not know: the default, said once."""

from __future__ import annotations

import pytest

from multicodex.app.preferences import describe_policy
from multicodex.model import RotationPolicy
from multicodex.selection import get_strategy


def test_an_unknown_stored_strategy_selects_like_the_default_and_says_so_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert get_strategy("quantum-first") is get_strategy("default")
    get_strategy("quantum-first")
    assert sum("quantum-first" in r.getMessage() for r in caplog.records) == 1


def test_the_policy_text_names_the_strategy_in_force() -> None:
    [first, *_] = describe_policy(RotationPolicy(strategy="quantum-first"))
    assert "then the default strategy ('quantum-first' is unknown)" in first
