"""Footer line and account status line: the original's formats, tiers and countdowns."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from multicodex.footer import (
    FooterLine,
    FooterSegment,
    format_footer,
    format_status_line,
    severity_for,
)
from multicodex.model import FooterSettings, UsageSnapshot, UsageWindow
from multicodex.timefmt import countdown, relative_reset

NOW = 1_772_452_800.0
MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
BOTH = FooterSettings(reset_window="both")


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


def usage_segments(line: FooterLine) -> list[FooterSegment]:
    return [s for s in line.segments if s.role == "usage"]


# --- status.test.ts footer cases ----------------------------------------------------------


def test_footer_shows_brand_account_and_both_windows_with_countdowns() -> None:
    line = format_footer("a@x.com", snapshot(25, 60), BOTH, NOW)
    assert line.text == "Codex · a@x.com · 5h:75% left (↺2h13m) · 7d:40% left (↺6d19h)"
    assert "(5h:↺" not in line.text
    assert "(7d:↺" not in line.text


def test_usage_first_puts_the_account_last() -> None:
    usage = snapshot(32, 10, five_reset=NOW + 14 * MINUTE)
    line = format_footer(
        "account-01@example.test", usage, BOTH.model_copy(update={"order": "usage-first"}), NOW
    )
    assert line.text == (
        "Codex · 5h:68% left (↺14m) · 7d:90% left (↺6d19h) · account-01@example.test"
    )


def test_hidden_account_used_mode_without_reset() -> None:
    settings = FooterSettings(
        show_account=False, order="usage-first", usage_mode="used", show_reset=False
    )
    line = format_footer("a@example.com", snapshot(10, 20), settings, NOW)
    assert line.text == "Codex · 5h:10% used · 7d:20% used"
    assert "a@example.com" not in line.text
    assert "↺" not in line.text


def test_segments_carry_roles_and_severities() -> None:
    line = format_footer("a@example.com", snapshot(25, 95), BOTH, NOW)
    assert line.segments[0] == FooterSegment(text="Codex", role="brand")
    assert FooterSegment(text="a@example.com", role="account") in line.segments
    assert {s.text for s in line.segments if s.role == "separator"} == {" · "}
    five_hour, weekly = usage_segments(line)
    assert five_hour.text.startswith("5h:75% left (↺")
    assert five_hour.severity == "success"
    assert weekly.text.startswith("7d:5% left (↺")
    assert weekly.severity == "error"
    assert line.severity == "error"
    assert line.text == "".join(s.text for s in line.segments)


@pytest.mark.parametrize(
    ("used", "severity"), [(52, "info"), (96, "error"), (80, "warning"), (10, "success")]
)
def test_used_mode_tiers(used: float, severity: str) -> None:
    settings = FooterSettings(usage_mode="used")
    line = format_footer("a@x", snapshot(used, 0), settings, NOW)
    assert usage_segments(line)[0].severity == severity
    assert line.severity == severity


def test_loading_before_the_first_snapshot() -> None:
    line = format_footer("a@x.com", None, FooterSettings(), NOW)
    assert line.text == "Codex a@x.com loading..."
    assert line.segments[-1] == FooterSegment(text="loading...", role="muted")
    assert line.severity == "dim"
    hidden = format_footer("a@x.com", None, FooterSettings(show_account=False), NOW)
    assert hidden.text == "Codex loading..."


def test_unknown_windows_are_dim_dashes() -> None:
    line = format_footer("a@x", snapshot(None, None), BOTH, NOW)
    assert [(s.text, s.severity) for s in usage_segments(line)] == [
        ("5h:--", "dim"),
        ("7d:--", "dim"),
    ]
    assert line.severity == "dim"


def test_unknown_percentage_with_a_known_reset_still_counts_down() -> None:
    usage = snapshot(math.nan, math.nan)
    five_hour, weekly = usage_segments(format_footer("a@x", usage, BOTH, NOW))
    assert five_hour.text == "5h:-- (↺2h13m)"
    assert weekly.text.startswith("7d:-- (↺")
    assert five_hour.severity == "dim"


def test_weekly_only_snapshot_shows_five_hour_unknown() -> None:
    line = format_footer("a@x", snapshot(None, 30), FooterSettings(), NOW)
    assert line.text == "Codex · a@x · 5h:-- · 7d:70% left (↺6d19h)"
    assert line.severity == "success"


def test_countdown_follows_the_reset_window_setting() -> None:
    usage = snapshot(25, 60)
    only_5h = format_footer("a@x", usage, FooterSettings(reset_window="5h"), NOW)
    assert only_5h.text == "Codex · a@x · 5h:75% left (↺2h13m) · 7d:40% left"
    only_7d = format_footer("a@x", usage, FooterSettings(reset_window="7d"), NOW)
    assert only_7d.text == "Codex · a@x · 5h:75% left · 7d:40% left (↺6d19h)"


def test_percentages_are_clamped_and_rounded_half_up() -> None:
    line = format_footer("a@x", snapshot(120, 39.5), FooterSettings(show_reset=False), NOW)
    assert line.text == "Codex · a@x · 5h:0% left · 7d:61% left"  # 60.5 left rounds up


def test_no_active_account_is_a_warning() -> None:
    line = format_footer(None, snapshot(10, 10), FooterSettings(), NOW)
    assert line.text == "Codex · no active account"
    assert line.severity == "warning"


def test_stale_snapshot_is_marked() -> None:
    line = format_footer("a@x", snapshot(25, 60), FooterSettings(), NOW, stale=True)
    assert line.text.endswith("7d:40% left (↺6d19h) (stale)")
    assert line.segments[-1] == FooterSegment(text=" (stale)", role="muted")
    assert line.severity == "info"  # 40% left in the weekly window; staleness does not change it


def test_footer_line_survives_json() -> None:
    line = format_footer("a@x", snapshot(25, 60), BOTH, NOW, stale=True)
    assert FooterLine.model_validate_json(line.model_dump_json()) == line


@given(
    five=st.one_of(st.none(), st.floats(min_value=-10, max_value=110)),
    weekly=st.one_of(st.none(), st.floats(min_value=-10, max_value=110)),
    settings=st.builds(
        FooterSettings,
        usage_mode=st.sampled_from(["left", "used"]),
        reset_window=st.sampled_from(["5h", "7d", "both"]),
        show_account=st.booleans(),
        show_reset=st.booleans(),
        order=st.sampled_from(["account-first", "usage-first"]),
    ),
    stale=st.booleans(),
)
def test_text_is_the_segments_and_severity_is_the_worst_window(
    five: float | None, weekly: float | None, settings: FooterSettings, stale: bool
) -> None:
    line = format_footer("a@x", snapshot(five, weekly), settings, NOW, stale=stale)
    assert line.text == "".join(s.text for s in line.segments)
    ranked: list[str | None] = ["success", "info", "warning", "error"]
    tiers = [s.severity for s in usage_segments(line) if s.severity in ranked]
    expected = max(tiers, key=ranked.index) if tiers else "dim"
    assert line.severity == expected


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


# --- status line (§11.3) ------------------------------------------------------------------


def test_status_line_worked_examples() -> None:
    fresh = snapshot(0, 0, five_reset=NOW + 5 * HOUR, weekly_reset=NOW + 7 * DAY)
    assert format_status_line("alice@x.com", fresh, ["active", "untouched"], NOW) == (
        "alice@x.com (active, untouched) - 5h 0% reset:in 5h | weekly 0% reset:in 7d"
    )
    assert format_status_line("bob@x.com", None, ["needs reauth"], NOW) == (
        "bob@x.com (needs reauth) - 5h unknown reset:unknown | weekly unknown reset:unknown"
    )
    quota = snapshot(100, 63, five_reset=NOW + 42 * MINUTE, weekly_reset=NOW + 3 * DAY)
    assert format_status_line("OpenAI Codex acct-123", quota, ["pi auth", "quota"], NOW) == (
        "OpenAI Codex acct-123 (pi auth, quota) - 5h 100% reset:in 42m | weekly 63% reset:in 3d"
    )


def test_status_line_without_tags_and_weekly_only() -> None:
    usage = snapshot(None, 12.5, weekly_reset=None)
    assert format_status_line("carol@x", usage, [], NOW) == (
        "carol@x - 5h unknown reset:unknown | weekly 13% reset:unknown"
    )


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
