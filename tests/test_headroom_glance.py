"""The binding limit of an account (for its general limit and a model's own), and the
pool's headroom per window: which window stops the user first, and how much is left."""

from __future__ import annotations

from multicodex.headroom import binding_limit, pool_headroom
from multicodex.model import (
    SPARK_BUCKET,
    QuotaBucket,
    StoredAccount,
    TokenSet,
    UsageSnapshot,
    UsageWindow,
)

NOW = 1_772_452_800.0  # Mon 2026-03-02 12:00 UTC
HOUR = 3600.0
DAY = 86400.0
FIVE_HOURS = 5 * 3600
WEEK = 7 * 86400
MONTH = 30 * 86400


def window(used: float, resets_in: float | None, seconds: int) -> UsageWindow:
    reset = None if resets_in is None else NOW + resets_in
    return UsageWindow(used_percent=used, resets_at=reset, window_seconds=seconds)


def usage(
    five: float | None,
    long: float | None,
    *,
    five_in: float = 2 * HOUR,
    long_in: float = 3 * DAY,
    long_seconds: int = WEEK,
    buckets: dict[str, QuotaBucket] | None = None,
) -> UsageSnapshot:
    return UsageSnapshot(
        five_hour=None if five is None else window(five, five_in, FIVE_HOURS),
        weekly=None if long is None else window(long, long_in, long_seconds),
        fetched_at=NOW,
        buckets=buckets or {},
    )


def account(name: str, snapshot: UsageSnapshot | None, **extra: object) -> StoredAccount:
    tokens = TokenSet(access_token="a", refresh_token="r", expires_at=NOW + DAY)
    return StoredAccount(
        key=f"{name}@x.com|acc-{name}",
        email=f"{name}@x.com",
        tokens=tokens,
        usage=snapshot,
        added_at=NOW - DAY,
        **extra,  # type: ignore[arg-type]
    )


def test_the_most_used_window_binds_and_is_labelled_with_its_reset() -> None:
    binding = binding_limit(usage(30, 85, long_in=2 * DAY + 22 * HOUR + 37 * 60), NOW)
    assert binding is not None
    assert binding.window_name == "weekly"
    assert binding.label(NOW) == "weekly · resets Thu 10:37 UTC"


def test_the_short_window_binds_when_it_is_fuller() -> None:
    binding = binding_limit(usage(92, 40), NOW)
    assert binding is not None
    assert binding.label(NOW) == "5h · resets 14:00 UTC"


def test_a_team_accounts_long_window_binds_as_the_30_day_one() -> None:
    binding = binding_limit(usage(10, 70, long_in=20 * DAY, long_seconds=MONTH), NOW)
    assert binding is not None
    assert binding.window_name == "30-day"
    assert binding.label(NOW).startswith("30-day · resets 2026-03-22")


def test_a_weekly_only_plan_binds_on_its_weekly_window() -> None:
    binding = binding_limit(usage(None, 12), NOW)
    assert binding is not None and binding.window_name == "weekly"


def test_when_both_windows_are_full_the_later_reset_binds() -> None:
    binding = binding_limit(usage(100, 100, five_in=HOUR, long_in=2 * DAY), NOW)
    assert binding is not None
    assert binding.window_name == "weekly"
    assert binding.resets_at == NOW + 2 * DAY


def test_a_passed_reset_counts_as_empty_and_an_unknown_reset_is_said() -> None:
    binding = binding_limit(usage(95, 20, five_in=-60), NOW)
    assert binding is not None and binding.window_name == "weekly"
    unknown = UsageSnapshot(five_hour=UsageWindow(used_percent=50), fetched_at=NOW)
    described = binding_limit(unknown, NOW)
    assert described is not None and described.label(NOW) == "5h · reset time unknown"


def test_a_spark_request_is_bound_by_sparks_own_windows() -> None:
    spark = QuotaBucket(five_hour=window(64, HOUR, FIVE_HOURS), weekly=window(5, DAY, WEEK))
    snapshot = usage(10, 20, buckets={SPARK_BUCKET: spark})
    general = binding_limit(snapshot, NOW)
    bound = binding_limit(snapshot, NOW, SPARK_BUCKET)
    assert general is not None and general.window_name == "weekly"
    assert bound is not None and bound.label(NOW) == "Spark 5h · resets 13:00 UTC"
    assert binding_limit(usage(10, 20), NOW, SPARK_BUCKET) is None


def test_nothing_binds_without_usage() -> None:
    assert binding_limit(None, NOW) is None


def test_three_accounts_pool_reads_as_accounts_worth_left_in_the_binding_window() -> None:
    pool = pool_headroom(
        [
            account("a", usage(10, 20)),
            account("b", usage(40, 30)),
            account("c", usage(20, 10)),
        ],
        NOW,
    )
    short, long = pool.windows
    assert short.text == "pool 2.3/3 left · 5h"
    assert long.text == "pool 2.4/3 left · weekly"
    assert [round(s.left, 2) for s in short.shares] == [0.9, 0.6, 0.8]
    assert pool.binding is short


def test_the_pool_binds_on_the_window_with_least_left() -> None:
    pool = pool_headroom([account("a", usage(10, 90)), account("b", usage(10, 70))], NOW)
    assert pool.binding is not None
    assert pool.binding.text == "pool 0.4/2 left · weekly"


def test_accounts_needing_a_login_are_not_counted_and_cooling_ones_have_nothing_left() -> None:
    pool = pool_headroom(
        [
            account("a", usage(0, 0)),
            account("b", usage(0, 0), needs_reauth=True),
            account("c", usage(0, 0), cooldown_until=NOW + HOUR),
            account("d", None),
        ],
        NOW,
    )
    assert [w.text for w in pool.windows] == ["pool 1.0/2 left · 5h", "pool 1.0/2 left · weekly"]


def test_mixed_long_windows_are_both_named() -> None:
    pool = pool_headroom(
        [account("a", usage(0, 50)), account("b", usage(0, 50, long_seconds=MONTH))], NOW
    )
    assert pool.windows[1].text == "pool 1.0/2 left · weekly/30-day"


def test_an_empty_pool_has_no_binding_window() -> None:
    assert pool_headroom([], NOW).binding is None
