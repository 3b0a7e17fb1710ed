"""Usage from wham/usage bodies and from x-codex-* headers, for every plan layout seen."""

from __future__ import annotations

from typing import Any

import pytest

from multicodex.codex.usage import parse_header_bool, parse_usage_headers, parse_usage_payload
from multicodex.model import UsageCredits, UsageWindow

NOW = 1_790_000_000.0


def window(
    percent: float, seconds: int, reset_at: int | None, after: int | None = 100
) -> dict[str, Any]:
    return {
        "used_percent": percent,
        "limit_window_seconds": seconds,
        "reset_after_seconds": after,
        "reset_at": reset_at,
    }


def payload(primary: Any, secondary: Any, **rate_limit: Any) -> dict[str, Any]:
    return {
        "user_id": "user-1",
        "account_id": "acct-1",
        "email": "a@example.test",
        "plan_type": rate_limit.pop("plan_type", "plus"),
        "rate_limit": {
            "allowed": rate_limit.pop("allowed", True),
            "limit_reached": rate_limit.pop("limit_reached", False),
            "primary_window": primary,
            "secondary_window": secondary,
        },
        "credits": {"has_credits": False, "unlimited": False, "balance": "0"},
        "additional_rate_limits": None,
        "rate_limit_reached_type": None,
    }


# ---- wham/usage payloads ---------------------------------------------------------------


def test_plus_payload_has_five_hour_primary_and_weekly_secondary() -> None:
    snap = parse_usage_payload(
        payload(window(3, 18000, 1_790_010_000), window(1, 604800, 1_790_600_000)), NOW
    )
    assert snap.source == "endpoint"
    assert snap.fetched_at == NOW
    assert snap.plan_type == "plus"
    assert snap.five_hour == UsageWindow(
        used_percent=3, window_seconds=18000, resets_at=1_790_010_000
    )
    assert snap.weekly == UsageWindow(
        used_percent=1, window_seconds=604800, resets_at=1_790_600_000
    )
    assert snap.limit_reached is False
    assert snap.credits == UsageCredits(has_credits=False, unlimited=False, balance="0")


def test_weekly_window_in_primary_slot_is_weekly() -> None:
    snap = parse_usage_payload(
        payload(window(40, 604800, 1_790_500_000), None, plan_type="pro"), NOW
    )
    assert snap.five_hour is None
    assert snap.weekly is not None and snap.weekly.used_percent == 40
    assert snap.plan_type == "pro"


def test_windows_in_swapped_positions_are_classified_by_duration() -> None:
    snap = parse_usage_payload(
        payload(window(70, 604800, 1_790_500_000), window(5, 18000, 1_790_001_000)), NOW
    )
    assert snap.five_hour is not None and snap.five_hour.used_percent == 5
    assert snap.weekly is not None and snap.weekly.used_percent == 70


def test_thirty_day_primary_outranks_a_seven_day_window() -> None:
    snap = parse_usage_payload(
        payload(window(20, 2_592_000, 1_792_000_000), window(90, 604800, 1_790_500_000)), NOW
    )
    assert snap.weekly is not None
    assert snap.weekly.window_seconds == 2_592_000
    assert snap.weekly.used_percent == 20
    assert snap.five_hour is None


def test_exhausted_payload_reports_limit_reached() -> None:
    body = payload(window(100, 604800, 1_790_300_000), None, allowed=False, limit_reached=True)
    body["rate_limit_reached_type"] = {"type": "rate_limit_reached", "details": "default"}
    snap = parse_usage_payload(body, NOW)
    assert snap.limit_reached is True
    assert snap.earliest_exhausted_reset() == 1_790_300_000


def test_allowed_false_alone_counts_as_limit_reached() -> None:
    snap = parse_usage_payload(payload(window(50, 18000, 1), None, allowed=False), NOW)
    assert snap.limit_reached is True


def test_missing_reset_at_falls_back_to_reset_after_seconds() -> None:
    snap = parse_usage_payload(payload(window(10, 18000, None, after=600), None), NOW)
    assert snap.five_hour is not None and snap.five_hour.resets_at == NOW + 600


def test_null_reset_after_seconds_is_accepted() -> None:
    snap = parse_usage_payload(payload(window(10, 18000, 1_790_001_000, after=None), None), NOW)
    assert snap.five_hour is not None and snap.five_hour.resets_at == 1_790_001_000
    bare = parse_usage_payload(payload(window(10, 18000, None, after=None), None), NOW)
    assert bare.five_hour is not None and bare.five_hour.resets_at is None


def test_missing_windows_give_an_empty_snapshot() -> None:
    for body in (
        payload(None, None),
        {"plan_type": "free"},
        {"plan_type": "free", "rate_limit": None},
        {"rate_limit": {"primary_window": {"used_percent": 5}}},  # no duration: unclassifiable
    ):
        snap = parse_usage_payload(body, NOW)
        assert snap.five_hour is None and snap.weekly is None
        assert snap.limit_reached is False


def test_percent_is_clamped_and_fractions_are_kept() -> None:
    snap = parse_usage_payload(payload(window(12.5, 18000, 1), window(130, 604800, 2)), NOW)
    assert snap.five_hour is not None and snap.five_hour.used_percent == 12.5
    assert snap.weekly is not None and snap.weekly.used_percent == 100


def test_unknown_fields_are_ignored() -> None:
    body = payload(window(3, 18000, 1), None)
    body["model_usage"] = {"gpt-5.5": {"available": True}}
    body["rate_limit_upsell"] = {"banner_type": "x"}
    body["credits"] = {"has_credits": True, "unlimited": False, "balance": 12, "approx": [0]}
    snap = parse_usage_payload(body, NOW)
    assert snap.credits == UsageCredits(has_credits=True, unlimited=False, balance="12")


@pytest.mark.parametrize("bad", [[], "text", 3, None, {"rate_limit": "nope"}])
def test_a_body_of_the_wrong_shape_raises_value_error(bad: Any) -> None:
    with pytest.raises(ValueError):
        parse_usage_payload(bad, NOW)


# ---- x-codex-* headers -----------------------------------------------------------------


PLUS_HEADERS = {
    "x-codex-active-limit": "codex",
    "x-codex-plan-type": "plus",
    "x-codex-primary-used-percent": "12.5",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-at": "1790010000",
    "x-codex-primary-reset-after-seconds": "10000",
    "x-codex-secondary-used-percent": "40",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-at": "1790600000",
    "x-codex-secondary-reset-after-seconds": "600000",
    "x-codex-primary-over-secondary-limit-percent": "0",
    "x-codex-credits-has-credits": "False",
    "x-codex-credits-unlimited": "False",
    "x-codex-credits-balance": "0",
}


def test_plus_headers() -> None:
    snap = parse_usage_headers(PLUS_HEADERS, NOW)
    assert snap is not None
    assert snap.source == "headers"
    assert snap.plan_type == "plus"
    assert snap.five_hour == UsageWindow(
        used_percent=12.5, window_seconds=18000, resets_at=1_790_010_000
    )
    assert snap.weekly == UsageWindow(
        used_percent=40, window_seconds=604800, resets_at=1_790_600_000
    )
    assert snap.credits == UsageCredits(has_credits=False, unlimited=False, balance="0")
    assert snap.limit_reached is False


def test_header_names_are_case_insensitive() -> None:
    snap = parse_usage_headers({k.upper(): v for k, v in PLUS_HEADERS.items()}, NOW)
    assert snap is not None and snap.five_hour is not None and snap.weekly is not None


def test_free_plan_headers_weekly_primary_empty_secondary() -> None:
    headers = {
        "x-codex-plan-type": "free",
        "x-codex-primary-used-percent": "100",
        "x-codex-primary-window-minutes": "10080",
        "x-codex-primary-reset-at": "1777936568",
        "x-codex-primary-reset-after-seconds": "13873",
        "x-codex-secondary-used-percent": "0",
        "x-codex-secondary-window-minutes": "0",
        "x-codex-secondary-reset-at": "",
        "x-codex-secondary-reset-after-seconds": "",
        "x-codex-credits-has-credits": "False",
        "x-codex-credits-unlimited": "TRUE",
        "x-codex-credits-balance": "",
    }
    snap = parse_usage_headers(headers, NOW)
    assert snap is not None
    assert snap.five_hour is None
    assert snap.weekly == UsageWindow(used_percent=100, window_seconds=604800, resets_at=1777936568)
    assert snap.limit_reached is True
    assert snap.credits == UsageCredits(has_credits=False, unlimited=True, balance=None)


def test_empty_reset_at_uses_reset_after_seconds_then_none() -> None:
    base = {"x-codex-primary-used-percent": "5", "x-codex-primary-window-minutes": "300"}
    with_after = parse_usage_headers(
        {**base, "x-codex-primary-reset-at": "", "x-codex-primary-reset-after-seconds": "60"}, NOW
    )
    assert with_after is not None and with_after.five_hour is not None
    assert with_after.five_hour.resets_at == NOW + 60
    bare = parse_usage_headers({**base, "x-codex-primary-reset-at": " "}, NOW)
    assert bare is not None and bare.five_hour is not None and bare.five_hour.resets_at is None


def test_thirty_day_primary_header() -> None:
    snap = parse_usage_headers(
        {"x-codex-primary-used-percent": "7", "x-codex-primary-window-minutes": "43200"}, NOW
    )
    assert snap is not None and snap.five_hour is None
    assert snap.weekly is not None and snap.weekly.window_seconds == 43200 * 60


def test_no_codex_headers_means_no_snapshot() -> None:
    assert parse_usage_headers({"content-type": "text/event-stream"}, NOW) is None
    assert parse_usage_headers({"x-codex-plan-type": "plus"}, NOW) is None
    garbage = {"x-codex-primary-used-percent": "lots", "x-codex-primary-window-minutes": "300"}
    assert parse_usage_headers(garbage, NOW) is None


def test_rate_limit_reached_type_header_marks_limit_reached() -> None:
    headers = {**PLUS_HEADERS, "x-codex-rate-limit-reached-type": "rate_limit_reached"}
    snap = parse_usage_headers(headers, NOW)
    assert snap is not None and snap.limit_reached is True


def test_other_limit_family_is_read_on_request() -> None:
    headers = {
        **PLUS_HEADERS,
        "x-codex-other-primary-used-percent": "100",
        "x-codex-other-primary-window-minutes": "300",
        "x-codex-other-primary-reset-at": "1790001000",
        "x-codex-other-limit-name": "codex_other",
    }
    main = parse_usage_headers(headers, NOW)
    other = parse_usage_headers(headers, NOW, limit_id="codex_other")
    assert main is not None and main.limit_reached is False
    assert other is not None and other.limit_reached is True
    assert other.earliest_exhausted_reset() == 1_790_001_000


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("True", True),
        ("FALSE", False),
        ("true", True),
        ("1", True),
        ("0", False),
        ("", None),
        ("maybe", None),
        (None, None),
    ],
)
def test_header_booleans(raw: str | None, expected: bool | None) -> None:
    assert parse_header_bool(raw) is expected
