"""The forecast on synthetic histories with known answers: steady burn, bursts, a reset
mid-history, a pool of accounts used in turn, weekly-only and 30-day plans, new accounts.
The backtest prints its median absolute error in minutes (the README quotes it)."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from multicodex.forecast import burn_rate, current_window, pool_forecast, turn_cost
from multicodex.history import Observation

T0 = 1_772_452_800.0  # Mon 2026-03-02 12:00 UTC
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
FIVE_HOURS = 5 * 3600
WEEK = 7 * 86400
MONTH = 30 * 86400
LABELS = {FIVE_HOURS: "5h", WEEK: "weekly", MONTH: "30-day"}
SANITY_BOUND_MINUTES = 120.0
"""A loose bound: the forecast is useful, not exact (this is not a speed check)."""

Rate = Callable[[float], float]
"""Percentage points per hour the pool uses at a moment."""


@dataclass(frozen=True)
class Scenario:
    name: str
    accounts: int
    window_seconds: int
    rate: Rate
    start: float
    resets_at: float
    step: float
    asked_at: tuple[float, ...]
    used_at_start: float = 0.0


def steady(per_hour: float) -> Rate:
    return lambda _t: per_hour


def bursts(per_hour: float, on: float, off: float) -> Rate:
    return lambda t: per_hour if (t - T0) % (on + off) < on else 0.0


def simulate(s: Scenario, until: float) -> dict[str, list[Observation]]:
    """The pool used in turn: the first account until it is full, then the next; one
    observation of every account each step."""
    history: dict[str, list[Observation]] = {f"acct{n}": [] for n in range(s.accounts)}
    used = [s.used_at_start] * s.accounts
    t = s.start
    while t <= until:
        for n, key in enumerate(history):
            history[key].append(
                Observation(
                    t,
                    key,
                    "codex",
                    LABELS[s.window_seconds],
                    s.window_seconds,
                    used[n],
                    s.resets_at,
                    "headers",
                )
            )
        _spend(used, s.rate(t) * s.step / HOUR)
        t += s.step
    return history


def _spend(used: list[float], amount: float) -> None:
    for n, value in enumerate(used):
        taken = min(amount, 100.0 - value)
        used[n] += taken
        amount -= taken
        if amount <= 0:
            return


def truth(s: Scenario) -> float:
    """When the pool is really used up (continuing the same pattern), to the minute."""
    used = [s.used_at_start] * s.accounts
    t = s.start
    while sum(used) < 100.0 * s.accounts - 1e-9:
        _spend(used, s.rate(t) * MINUTE / HOUR)
        t += MINUTE
    return t


SCENARIOS = [
    Scenario(
        "steady 5h",
        1,
        FIVE_HOURS,
        steady(20),
        T0,
        T0 + 5 * HOUR,
        5 * MINUTE,
        (T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR),
        used_at_start=5,
    ),
    Scenario(
        "pool of three in turn",
        3,
        FIVE_HOURS,
        steady(75),
        T0,
        T0 + 5 * HOUR,
        5 * MINUTE,
        (T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR),
    ),
    Scenario(
        "bursts",
        1,
        FIVE_HOURS,
        bursts(80, 12 * MINUTE, 25 * MINUTE),
        T0,
        T0 + 5 * HOUR,
        MINUTE,
        (T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR),
        used_at_start=5,
    ),
    Scenario(
        "bursts over a pool",
        2,
        FIVE_HOURS,
        bursts(150, 17 * MINUTE, 22 * MINUTE),
        T0,
        T0 + 5 * HOUR,
        MINUTE,
        (T0 + HOUR, T0 + 2 * HOUR),
    ),
    Scenario(
        "weekly-only plan",
        1,
        WEEK,
        steady(1.2),
        T0,
        T0 + WEEK,
        30 * MINUTE,
        (T0 + 36 * HOUR, T0 + 48 * HOUR, T0 + 60 * HOUR),
        used_at_start=10,
    ),
    Scenario(
        "30-day plan",
        1,
        MONTH,
        steady(0.25),
        T0,
        T0 + MONTH,
        HOUR,
        (T0 + 7 * DAY, T0 + 10 * DAY, T0 + 14 * DAY),
    ),
]


def with_earlier_window(s: Scenario, history: dict[str, list[Observation]]) -> None:
    """The same accounts' previous window: rising to 70 % at 50 %/h, then reset at T0."""
    for key, rows in history.items():
        earlier = [
            Observation(
                T0 - HOUR + m * 5 * MINUTE,
                key,
                "codex",
                "5h",
                FIVE_HOURS,
                20 + m * 50 / 12,
                T0,
                "endpoint",
            )
            for m in range(12)
        ]
        rows[:0] = earlier


@pytest.fixture(scope="module")
def backtest_errors() -> list[float]:
    return []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_the_forecast_finds_the_known_run_out(
    scenario: Scenario, backtest_errors: list[float]
) -> None:
    real = truth(scenario)
    assert real < scenario.resets_at  # every scenario runs out before its reset
    for now in scenario.asked_at:
        forecast = pool_forecast(simulate(scenario, now), LABELS[scenario.window_seconds], now)
        assert forecast.kind == "runs_out", (scenario.name, now)
        assert forecast.runs_out_at is not None
        backtest_errors.append(abs(forecast.runs_out_at - real) / MINUTE)
        assert forecast.earliest is not None and forecast.latest is not None
        assert forecast.earliest <= forecast.runs_out_at <= forecast.latest


def test_a_reset_mid_history_counts_only_the_current_window(backtest_errors: list[float]) -> None:
    scenario = Scenario(
        "after a reset", 1, FIVE_HOURS, steady(30), T0, T0 + 5 * HOUR, 5 * MINUTE, (T0 + HOUR,)
    )
    now = T0 + HOUR
    history = simulate(scenario, now)
    with_earlier_window(scenario, history)
    assert current_window(history["acct0"])[0].at == T0
    forecast = pool_forecast(history, "5h", now)
    assert forecast.runs_out_at is not None
    backtest_errors.append(abs(forecast.runs_out_at - truth(scenario)) / MINUTE)
    rate = burn_rate(history["acct0"], now)
    assert rate is not None and rate.per_hour == pytest.approx(30, rel=0.05)


def test_the_backtest_error_is_reported(
    backtest_errors: list[float], capsys: pytest.CaptureFixture[str]
) -> None:
    assert len(backtest_errors) >= 15  # every scenario above ran first (module order)
    median = statistics.median(backtest_errors)
    with capsys.disabled():
        print(
            f"\nforecast backtest: median absolute error {median:.1f} min over "
            f"{len(backtest_errors)} forecasts (worst {max(backtest_errors):.1f} min)"
        )
    assert math.isfinite(median) and median < SANITY_BOUND_MINUTES


def test_a_new_account_with_one_observation_has_not_enough_data() -> None:
    row = Observation(T0, "new", "codex", "5h", FIVE_HOURS, 3.0, T0 + HOUR, "endpoint")
    forecast = pool_forecast({"new": [row]}, "5h", T0 + MINUTE)
    assert forecast.kind == "not_enough_data"
    assert forecast.text(T0) == "5h: not enough history for a forecast yet"
    assert burn_rate([row], T0 + MINUTE) is None


def test_a_slow_pace_lasts_until_the_reset_and_says_so() -> None:
    scenario = Scenario("slow", 2, FIVE_HOURS, steady(10), T0, T0 + 5 * HOUR, 5 * MINUTE, ())
    now = T0 + HOUR
    forecast = pool_forecast(simulate(scenario, now), "5h", now)
    assert forecast.kind == "lasts_until_reset"
    assert forecast.text(now) == "at this pace the pool lasts until the 5h reset (17:00 UTC)"


def test_a_run_out_is_said_as_a_rounded_time_with_a_range_and_the_time_to_the_reset() -> None:
    scenario = SCENARIOS[0]
    now = T0 + 2 * HOUR
    text = pool_forecast(simulate(scenario, now), "5h", now).text(now)
    assert text.startswith("at this pace the pool runs out around 16:45 UTC (")
    assert text.endswith("15m before the next 5h reset")


def test_a_turn_costs_the_median_rise_between_observations() -> None:
    rows = [
        Observation(T0 + n * MINUTE, "a", "codex", "5h", FIVE_HOURS, used, None, "headers")
        for n, used in enumerate([10, 12, 12, 15, 17, 90, 1, 4])
    ]
    assert turn_cost(rows) == 3.0  # the current window: 1 → 4
    assert turn_cost(rows[:6]) == pytest.approx(2.5)
