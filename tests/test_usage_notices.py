"""Which threshold crossings are announced: an account just become active is re-based
silently, and the pool's crossing in a window says it for the active account's."""

from __future__ import annotations

from multicodex.history import NotifiedKey
from multicodex.usage_notices import POOL_SCOPE, Reading, decide

NOW = 1_000_000.0


def told(readings: list[Reading], rebased: list[str] | None = None) -> list[tuple[str, int]]:
    decision = decide(readings, {}, NOW, rebased=rebased or [])
    return [(reading.scope, threshold) for reading, threshold in decision.announce]


def test_an_account_just_become_active_is_remembered_at_its_level_without_a_notice() -> None:
    bob = Reading("bob", "5h", 85, None)
    decision = decide([bob], {}, NOW, rebased=["bob"])
    assert decision.announce == []
    assert decision.remember == {NotifiedKey("bob", "5h", 80): None}
    later = decide([Reading("bob", "5h", 96, None)], decision.remember, NOW)
    assert [(r.scope, t) for r, t in later.announce] == [("bob", 95)]


def test_the_pools_crossing_in_a_window_says_the_active_accounts_as_well() -> None:
    alice, pool = Reading("alice", "5h", 85, None), Reading(POOL_SCOPE, "5h", 85, None)
    assert told([alice, pool]) == [(POOL_SCOPE, 80)]
    weekly = Reading("alice", "weekly", 85, None)
    assert told([alice, weekly, pool]) == [("alice", 80), (POOL_SCOPE, 80)]
    higher = Reading("alice", "5h", 96, None)
    assert told([higher, pool]) == [("alice", 95), (POOL_SCOPE, 80)]
