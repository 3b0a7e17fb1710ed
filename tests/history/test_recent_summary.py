"""What the pre-flight works out from a window's recent observations is kept until that
window's series changes, and only that window's."""

from __future__ import annotations

from multicodex.forecast import turn_cost
from multicodex.history import Observation, RecentObservations


def observation(at: float, used: float, *, account: str = "a", window: str = "5h") -> Observation:
    return Observation(
        at=at,
        account=account,
        bucket="general",
        window=window,
        window_seconds=18_000,
        used_percent=used,
        resets_at=10_000.0,
        source="headers",
    )


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, series: list[Observation]) -> float | None:
        self.calls += 1
        return turn_cost(series)


def test_a_summary_is_worked_out_once_until_its_series_changes() -> None:
    recent = RecentObservations()
    recent.add([observation(1.0, 10.0), observation(2.0, 12.0)])
    cost = Counting()

    first = recent.summary("a", "general", "5h", cost)
    again = recent.summary("a", "general", "5h", cost)
    recent.add([observation(3.0, 18.0)])
    after_a_turn = recent.summary("a", "general", "5h", cost)

    assert (first, again, cost.calls) == (2.0, 2.0, 2)
    assert after_a_turn == 4.0  # the median of the rises 2 and 6


def test_a_change_to_another_window_keeps_the_summary() -> None:
    recent = RecentObservations()
    recent.add([observation(1.0, 10.0), observation(2.0, 12.0)])
    cost = Counting()
    recent.summary("a", "general", "5h", cost)

    recent.add([observation(3.0, 50.0, window="weekly"), observation(3.0, 50.0, account="b")])
    recent.summary("a", "general", "5h", cost)

    assert cost.calls == 1


def test_rows_seeded_from_the_database_change_the_summary() -> None:
    recent = RecentObservations()
    recent.add([observation(1.0, 10.0), observation(2.0, 12.0)])
    cost = Counting()
    before = recent.summary("a", "general", "5h", cost)

    recent.seed([observation(1.5, 11.0), observation(2.5, 20.0)])
    after = recent.summary("a", "general", "5h", cost)

    assert cost.calls == 2
    assert before == 2.0
    assert after == 1.0  # rises of 1, 1 and 8 between 10, 11, 12 and 20
