"""The footer in every state of the pool, the account status line, their tiers, the binding
window and the compact footer: one set of words and units for every view."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from multicodex.footer import (
    FooterLine,
    FooterSegment,
    PoolFacts,
    format_footer,
    format_status_line,
    format_usage_line,
    severity_for,
)
from multicodex.headroom import binding_window, limit_of
from multicodex.model import FooterSettings, UsageSnapshot, UsageWindow
from multicodex.timefmt import countdown, relative_reset

NOW = 1_772_452_800.0
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
BOTH = FooterSettings(reset_window="both")
COMPACT = FooterSettings(compact=True)


def snapshot(
    five: float | None,
    weekly: float | None,
    *,
    five_reset: float | None = NOW + 2 * HOUR + 13 * MINUTE,
    weekly_reset: float | None = NOW + 6 * DAY + 19 * HOUR + 5 * MINUTE,
) -> UsageSnapshot:
    return UsageSnapshot(
        five_hour=None if five is None else UsageWindow(used_percent=five, resets_at=five_reset),
        weekly=None if weekly is None else UsageWindow(used_percent=weekly, resets_at=weekly_reset),
        fetched_at=NOW,
    )


def serving(
    name: str, usage: UsageSnapshot | None, *, stale: bool = False, reauth: tuple[str, ...] = ()
) -> PoolFacts:
    return PoolFacts(
        accounts=1 + len(reauth),
        active_name=name,
        active_usage=usage,
        active_stale=stale,
        needs_reauth=reauth,
    )


def footer(
    name: str, usage: UsageSnapshot | None, settings: FooterSettings, *, stale: bool = False
) -> FooterLine:
    return format_footer(serving(name, usage, stale=stale), settings, NOW)


def usage_segments(line: FooterLine) -> list[FooterSegment]:
    return [s for s in line.segments if s.role == "usage"]


# --- serving ------------------------------------------------------------------------------


def test_footer_shows_brand_account_and_both_named_windows_with_countdowns() -> None:
    line = footer("a@x.com", snapshot(25, 60), BOTH)
    assert line.text == "Codex · a@x.com · 5h 75% left ↺2h13m · weekly 40% left ↺6d19h"
    assert line.state == "serving"


def test_usage_first_puts_the_account_last() -> None:
    usage = snapshot(32, 10, five_reset=NOW + 14 * MINUTE)
    line = footer(
        "account-01@example.test", usage, BOTH.model_copy(update={"order": "usage-first"})
    )
    assert line.text == (
        "Codex · 5h 68% left ↺14m · weekly 90% left ↺6d19h · account-01@example.test"
    )


def test_hidden_account_used_mode_without_reset() -> None:
    settings = FooterSettings(
        show_account=False, order="usage-first", usage_mode="used", show_reset=False
    )
    line = footer("a@example.com", snapshot(10, 20), settings)
    assert line.text == "Codex · 5h 10% used · weekly 20% used"
    assert "↺" not in line.text


def test_segments_carry_roles_and_severities() -> None:
    line = footer("a@example.com", snapshot(25, 95), BOTH)
    assert line.segments[0] == FooterSegment(text="Codex", role="brand")
    assert FooterSegment(text="a@example.com", role="account") in line.segments
    assert {s.text for s in line.segments if s.role == "separator"} == {" · "}
    five_hour, weekly = usage_segments(line)
    assert five_hour.text.startswith("5h 75% left ↺")
    assert five_hour.severity == "success"
    assert weekly.text.startswith("weekly 5% left ↺")
    assert weekly.severity == "error"
    assert line.severity == "error"
    assert line.text == "".join(s.text for s in line.segments)


@pytest.mark.parametrize(
    ("used", "severity"), [(52, "info"), (96, "error"), (80, "warning"), (10, "success")]
)
def test_used_mode_tiers(used: float, severity: str) -> None:
    line = footer("a@x", snapshot(used, 0), FooterSettings(usage_mode="used"))
    assert usage_segments(line)[0].severity == severity
    assert line.severity == severity


def test_loading_before_the_first_snapshot() -> None:
    line = footer("a@x.com", None, FooterSettings())
    assert line.text == "Codex a@x.com loading..."
    assert line.segments[-1] == FooterSegment(text="loading...", role="muted")
    assert (line.severity, line.state) == ("dim", "loading")
    assert footer("a@x.com", None, FooterSettings(show_account=False)).text == "Codex loading..."


def test_unknown_windows_say_so_and_are_dim() -> None:
    line = footer("a@x", snapshot(None, None), BOTH)
    assert [(s.text, s.severity) for s in usage_segments(line)] == [
        ("5h unknown", "dim"),
        ("weekly unknown", "dim"),
    ]
    assert line.severity == "dim"


def test_an_unknown_percentage_still_counts_down_when_both_are_asked_for() -> None:
    five_hour, weekly = usage_segments(footer("a@x", snapshot(math.nan, math.nan), BOTH))
    assert five_hour.text == "5h unknown ↺2h13m"
    assert weekly.text.startswith("weekly unknown ↺")
    assert five_hour.severity == "dim"


def test_weekly_only_snapshot_shows_five_hour_unknown() -> None:
    line = footer("a@x", snapshot(None, 30), FooterSettings())
    assert line.text == "Codex · a@x · 5h unknown · weekly 70% left ↺6d19h"
    assert line.severity == "success"


def test_percentages_are_clamped_and_rounded_half_up() -> None:
    line = footer("a@x", snapshot(120, 39.5), FooterSettings(show_reset=False))
    assert line.text == "Codex · a@x · 5h 0% left · weekly 61% left"  # 60.5 left rounds up


def test_a_window_whose_reset_has_passed_shows_its_quota_back() -> None:
    usage = snapshot(100, 40, five_reset=NOW - MINUTE)
    line = footer("a@x", usage, BOTH)
    assert line.text == "Codex · a@x · 5h 100% left · weekly 60% left ↺6d19h"


def test_stale_snapshot_is_marked() -> None:
    line = footer("a@x", snapshot(25, 60), FooterSettings(), stale=True)
    assert line.text.endswith("weekly 40% left ↺6d19h (stale)")
    assert line.segments[-1] == FooterSegment(text=" (stale)", role="muted")
    assert line.severity == "info"  # 40% left in the weekly window; staleness does not change it


def test_accounts_that_need_a_new_login_are_counted_after_the_usage() -> None:
    one = format_footer(serving("a@x", snapshot(25, 60), reauth=("b@x",)), FooterSettings(), NOW)
    assert one.text == "Codex · a@x · 5h 75% left · weekly 40% left ↺6d19h · 1 needs re-auth"
    assert one.segments[-1] == FooterSegment(
        text="1 needs re-auth", role="state", severity="warning"
    )
    assert one.severity == "info"
    two = format_footer(serving("a@x", None, reauth=("b", "c")), FooterSettings(), NOW)
    assert two.text == "Codex a@x loading... · 2 need re-auth"


def test_footer_line_survives_json() -> None:
    line = footer("a@x", snapshot(25, 60), BOTH, stale=True)
    assert FooterLine.model_validate_json(line.model_dump_json()) == line


# --- the binding window -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("five", "weekly", "five_reset", "weekly_reset", "binds"),
    [
        (90, 40, NOW + HOUR, NOW + DAY, "5h"),  # least headroom
        (10, 40, NOW + HOUR, NOW + DAY, "weekly"),
        (40, 40, NOW + 2 * DAY, NOW + DAY, "weekly"),  # a tie: the earlier reset
        (40, 40, None, NOW + DAY, "weekly"),  # an unknown reset counts as never
        (40, 40, NOW + DAY, NOW + DAY, "5h"),
        (100, 100, NOW + HOUR, NOW + DAY, "5h"),
        (100, 30, NOW - 1, NOW + DAY, "weekly"),  # the full window has reset
        (None, 30, NOW + HOUR, NOW + DAY, "weekly"),
    ],
)
def test_the_binding_window_is_the_one_closest_to_running_out(
    five: float | None,
    weekly: float,
    five_reset: float | None,
    weekly_reset: float,
    binds: str,
) -> None:
    usage = snapshot(five, weekly, five_reset=five_reset, weekly_reset=weekly_reset)
    found = binding_window(usage, NOW)
    assert found is not None and found.name == binds


def test_by_default_the_countdown_is_the_binding_windows() -> None:
    assert FooterSettings().reset_window == "binding"
    near_5h = footer("a@x", snapshot(88, 40), FooterSettings())
    assert near_5h.text == "Codex · a@x · 5h 12% left ↺2h13m · weekly 60% left"
    near_weekly = footer("a@x", snapshot(20, 40), FooterSettings())
    assert near_weekly.text == "Codex · a@x · 5h 80% left · weekly 60% left ↺6d19h"
    exhausted_5h = footer("a@x", snapshot(100, 99), FooterSettings())
    assert exhausted_5h.text == "Codex · a@x · 5h 0% left ↺2h13m · weekly 1% left"


def test_an_explicit_reset_window_overrides_the_binding_one() -> None:
    usage = snapshot(88, 40)
    only_5h = footer("a@x", usage, FooterSettings(reset_window="5h"))
    assert only_5h.text == "Codex · a@x · 5h 12% left ↺2h13m · weekly 60% left"
    only_weekly = footer("a@x", usage, FooterSettings(reset_window="7d"))
    assert only_weekly.text == "Codex · a@x · 5h 12% left · weekly 60% left ↺6d19h"


def test_no_window_binds_when_no_use_is_known() -> None:
    assert binding_window(snapshot(None, None), NOW) is None
    assert binding_window(None, NOW) is None


# --- the compact footer -------------------------------------------------------------------


def test_compact_footer_is_the_binding_window_and_a_short_name() -> None:
    line = footer("alice@example.com", snapshot(88, 40), COMPACT)
    assert line.text == "Codex alice 5h 12% left ↺2h13m"
    assert len(line.text) <= 30
    assert line.severity == "warning"  # 12% left
    weekly = footer(
        "alice@example.com", snapshot(20, 40), COMPACT.model_copy(update={"usage_mode": "used"})
    )
    assert weekly.text == "Codex alice weekly 40% used ↺6d19h"
    long_label = footer("Carol at the big company", snapshot(20, 40), COMPACT)
    assert long_label.text == "Codex Carol at… weekly 60% left ↺6d19h"


def test_compact_footer_follows_the_other_settings() -> None:
    settings = COMPACT.model_copy(update={"show_reset": False, "order": "usage-first"})
    assert footer("bob@x", snapshot(30, 10), settings).text == "Codex 5h 70% left bob"
    hidden = COMPACT.model_copy(update={"show_account": False, "reset_window": "7d"})
    assert footer("bob@x", snapshot(30, 10), hidden).text == "Codex 5h 70% left ↺2h13m"
    assert footer("bob@x", snapshot(None, None), COMPACT).text == "Codex bob usage unknown"


# --- every other state --------------------------------------------------------------------


def test_no_accounts_says_how_to_add_one() -> None:
    line = format_footer(PoolFacts(accounts=0), FooterSettings(), NOW)
    assert line.text == "Codex · no accounts · add one (multicodex login)"
    assert (line.state, line.severity) == ("no_accounts", "warning")
    assert format_footer(PoolFacts(accounts=0), COMPACT, NOW).text == "Codex no accounts"


def test_every_account_waiting_says_when_the_next_reset_is() -> None:
    facts = PoolFacts(accounts=2, waiting=2, next_reset=NOW + 4 * HOUR + 59 * MINUTE)
    line = format_footer(facts, FooterSettings(), NOW)
    assert line.text == "Codex · all accounts exhausted · next reset in 4h59m"
    assert (line.state, line.severity) == ("exhausted", "error")
    assert format_footer(facts, COMPACT, NOW).text == "Codex all exhausted ↺4h59m"
    unknown = PoolFacts(accounts=1, waiting=1)
    assert format_footer(unknown, FooterSettings(), NOW).text == "Codex · all accounts exhausted"


def test_a_last_resort_account_does_not_hide_that_every_account_is_exhausted() -> None:
    facts = PoolFacts(
        accounts=1,
        active_name="a@x",
        active_usage=snapshot(100, 50),
        waiting=1,
        next_reset=NOW + HOUR,
    )
    assert format_footer(facts, FooterSettings(), NOW).text == (
        "Codex · all accounts exhausted · next reset in 1h0m"
    )


def test_exhausted_with_some_accounts_needing_a_new_login() -> None:
    facts = PoolFacts(accounts=2, waiting=1, next_reset=NOW + HOUR, needs_reauth=["b@x"])
    assert format_footer(facts, FooterSettings(), NOW).text == (
        "Codex · all accounts exhausted · next reset in 1h0m · 1 needs re-auth"
    )


def test_only_a_new_login_would_help() -> None:
    one = format_footer(PoolFacts(accounts=1, needs_reauth=["carol@x.com"]), FooterSettings(), NOW)
    assert one.text == "Codex · carol@x.com needs re-auth"
    assert (one.state, one.severity) == ("needs_reauth", "error")
    assert format_footer(
        PoolFacts(accounts=1, needs_reauth=["carol@x.com"]), COMPACT, NOW
    ).text == ("Codex re-auth carol")
    two = format_footer(PoolFacts(accounts=2, needs_reauth=["a", "b"]), FooterSettings(), NOW)
    assert two.text == "Codex · 2 accounts need re-auth"


@given(
    five=st.one_of(st.none(), st.floats(min_value=-10, max_value=110)),
    weekly=st.one_of(st.none(), st.floats(min_value=-10, max_value=110)),
    settings=st.builds(
        FooterSettings,
        usage_mode=st.sampled_from(["left", "used"]),
        reset_window=st.sampled_from(["binding", "5h", "7d", "both"]),
        show_account=st.booleans(),
        show_reset=st.booleans(),
        order=st.sampled_from(["account-first", "usage-first"]),
        compact=st.booleans(),
    ),
    stale=st.booleans(),
)
def test_text_is_the_segments_and_severity_is_the_worst_window(
    five: float | None, weekly: float | None, settings: FooterSettings, stale: bool
) -> None:
    line = footer("a@x", snapshot(five, weekly), settings, stale=stale)
    assert line.text == "".join(s.text for s in line.segments)
    full = footer("a@x", snapshot(five, weekly), settings.model_copy(update={"compact": False}))
    ranked: list[str | None] = ["success", "info", "warning", "error"]
    tiers = [s.severity for s in usage_segments(full) if s.severity in ranked]
    expected = max(tiers, key=ranked.index) if tiers else "dim"
    assert line.severity == full.severity == expected


# --- severity tiers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "mode", "severity"),
    [
        (75, "left", "success"),
        (50.01, "left", "success"),
        (50, "left", "info"),
        (25, "left", "warning"),
        (10, "left", "error"),
        (5, "left", "error"),
        (52, "used", "info"),
        (49.99, "used", "success"),
        (75, "used", "warning"),
        (90, "used", "error"),
        (96, "used", "error"),
        (None, "left", "dim"),
        (None, "used", "dim"),
    ],
)
def test_severity_tiers(percent: float | None, mode: str, severity: str) -> None:
    assert severity_for(percent, "left" if mode == "left" else "used") == severity


# --- countdown ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3600, "1h0m"),
        (45, "45s"),
        (0, "0s"),
        (-30, "0s"),
        (59.4, "59s"),
        (59.5, "1m"),
        (14 * 60 + 20, "14m"),
        (2 * 3600 + 13 * 60 + 59, "2h13m"),
        (86400, "1d0h"),
        (6 * 86400 + 19 * 3600 + 3599, "6d19h"),
    ],
)
def test_countdown(seconds: float, text: str) -> None:
    assert countdown(seconds) == text


# --- status line --------------------------------------------------------------------------


def test_status_line_names_every_window_in_the_users_unit() -> None:
    fresh = snapshot(0, 0, five_reset=NOW + 5 * HOUR, weekly_reset=NOW + 7 * DAY)
    assert format_status_line("alice@x.com", fresh, ["active", "untouched"], "left", NOW) == (
        "alice@x.com (active, untouched) - 5h 100% left ↺5h0m · weekly 100% left ↺7d0h"
    )
    assert format_status_line("bob@x.com", None, ["needs reauth"], "used", NOW) == (
        "bob@x.com (needs reauth) - 5h unknown · weekly unknown"
    )
    quota = snapshot(100, 63, five_reset=NOW + 42 * MINUTE, weekly_reset=NOW + 3 * DAY)
    assert format_status_line("OpenAI Codex acct-123", quota, ["at limit"], "used", NOW) == (
        "OpenAI Codex acct-123 (at limit) - 5h 100% used ↺42m · weekly 63% used ↺3d0h"
    )


def test_status_line_without_tags_and_weekly_only() -> None:
    usage = snapshot(None, 12.5, weekly_reset=None)
    assert format_status_line("carol@x", usage, [], "used", NOW) == (
        "carol@x - 5h unknown · weekly 13% used"
    )


def test_the_usage_line_reads_like_the_footer() -> None:
    usage = snapshot(25, 60)
    line = footer("a@x", usage, BOTH)
    assert format_usage_line(usage, "left", NOW) == line.text.removeprefix("Codex · a@x · ")


# --- limits -------------------------------------------------------------------------------


def test_a_window_at_its_limit_holds_until_the_last_full_window_resets() -> None:
    assert limit_of(snapshot(99, 50), NOW) is None
    one = limit_of(snapshot(100, 50), NOW)
    assert one is not None and one.until == NOW + 2 * HOUR + 13 * MINUTE
    both = limit_of(snapshot(100, 100), NOW)
    assert both is not None and both.until == NOW + 6 * DAY + 19 * HOUR + 5 * MINUTE
    unknown = limit_of(snapshot(100, 20, five_reset=None), NOW)
    assert unknown is not None and unknown.until is None
    assert limit_of(snapshot(100, 20, five_reset=NOW - 1), NOW) is None


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (None, "unknown"),
        (0, "now"),
        (-5, "now"),
        (10, "in 1m"),
        (89, "in 1m"),
        (90, "in 2m"),
        (59 * MINUTE, "in 59m"),
        (59.5 * MINUTE, "in 1h"),
        (47 * HOUR, "in 47h"),
        (47.6 * HOUR, "in 2d"),
        (7 * DAY, "in 7d"),
    ],
)
def test_relative_reset(offset: float | None, text: str) -> None:
    resets_at = None if offset is None else NOW + offset
    assert relative_reset(resets_at, NOW) == text


# --- windows named by their length --------------------------------------------------------


def test_a_team_accounts_thirty_day_window_is_called_30_day() -> None:
    team = UsageSnapshot(
        plan_type="team",
        weekly=UsageWindow(used_percent=41, window_seconds=30 * 86400, resets_at=NOW + 20 * DAY),
        fetched_at=NOW,
    )
    line = footer("t@x.com", team, FooterSettings(reset_window="7d"))
    assert line.text == "Codex · t@x.com · 5h unknown · 30-day 59% left ↺20d0h"
    assert "weekly" not in format_status_line("t@x.com", team, [], "left", NOW)
    assert "30-day 59% left" in format_usage_line(team, "left", NOW)


def test_a_pro_accounts_weekly_only_primary_is_called_weekly() -> None:
    pro = UsageSnapshot(
        plan_type="pro",
        weekly=UsageWindow(used_percent=23, window_seconds=604800, resets_at=NOW + 3 * DAY),
        fetched_at=NOW,
    )
    assert footer("p@x.com", pro, FooterSettings()).text == (
        "Codex · p@x.com · 5h unknown · weekly 77% left ↺3d0h"
    )


def test_a_window_above_one_hundred_percent_shows_nothing_left_never_a_negative() -> None:
    over = snapshot(112, 50)
    line = footer("o@x.com", over, BOTH)
    assert "5h 0% left" in line.text
    assert "-" not in line.text.replace("o@x.com", "")
    assert limit_of(over, NOW) is not None
