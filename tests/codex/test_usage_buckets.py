"""Recorded wham/usage payloads (field notes, Dec 2026) and model-aware header reading:
per-bucket usage (Spark's own windows), Team's 30-day window, percentages above 100,
credits beside a reached limit, banked reset credits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from multicodex.codex.usage import parse_usage_headers, parse_usage_payload
from multicodex.model import UsageCredits, UsageSnapshot, UsageWindow
from multicodex.model.quota import GENERAL_BUCKET, SPARK_BUCKET
from multicodex.pool.usage import merge_usage

NOW = 1_790_000_000.0
PAYLOADS = Path(__file__).parent / "payloads"
SPARK_MODEL = "gpt-5.3-codex-spark"


def recorded(name: str) -> UsageSnapshot:
    body: Any = json.loads((PAYLOADS / f"{name}.json").read_text())
    return parse_usage_payload(body, NOW)


# ---- wham/usage payloads -----------------------------------------------------------------


def test_pro_weekly_only_primary_with_spark_windows_in_additional_rate_limits() -> None:
    snap = recorded("pro_weekly_primary_spark")
    assert snap.plan_type == "pro"
    assert snap.five_hour is None
    assert snap.weekly == UsageWindow(used_percent=23, window_seconds=604800, resets_at=1790400000)
    spark = snap.buckets[SPARK_BUCKET]
    assert spark.limit_name == "GPT-5.3-Codex-Spark"
    assert spark.five_hour == UsageWindow(
        used_percent=64, window_seconds=18000, resets_at=1790009000
    )
    assert spark.weekly == UsageWindow(used_percent=12, window_seconds=604800, resets_at=1790500000)
    assert spark.limit_reached is False
    assert snap.bucket(SPARK_BUCKET) is spark
    assert snap.bucket(GENERAL_BUCKET) is snap
    assert snap.reset_credits == 2


def test_team_thirty_day_window_is_the_long_window_with_its_real_length() -> None:
    snap = recorded("team_thirty_day")
    assert snap.five_hour is None
    assert snap.weekly is not None
    assert snap.weekly.window_seconds == 30 * 24 * 3600
    assert snap.weekly.used_percent == 41
    assert snap.buckets == {}
    assert snap.reset_credits is None


def test_used_percent_above_one_hundred_is_exhausted_never_more_than_full() -> None:
    snap = recorded("over_one_hundred")
    assert snap.five_hour is not None
    assert snap.five_hour.used_percent == 100
    assert snap.weekly is not None and snap.weekly.used_percent == 57
    assert snap.limit_reached is True
    assert snap.earliest_exhausted_reset() == 1790003600


def test_credits_together_with_a_reached_limit_are_both_kept() -> None:
    snap = recorded("business_credits_limit_reached")
    assert snap.limit_reached is True
    assert snap.credits == UsageCredits(has_credits=True, unlimited=False, balance="37.50")
    assert snap.reset_credits == 0


def test_plus_without_a_five_hour_window() -> None:
    snap = recorded("plus_without_five_hour")
    assert snap.five_hour is None
    assert snap.weekly is not None and snap.weekly.used_percent == 30
    assert snap.limit_reached is False


def test_documented_plus_payload_keeps_its_other_limit_as_a_bucket() -> None:
    snap = recorded("plus_codex_other")
    assert snap.five_hour is not None and snap.five_hour.used_percent == 3
    assert snap.weekly is not None and snap.weekly.used_percent == 1
    other = snap.buckets["codex_other"]
    assert other.limit_name == "codex_other"
    assert other.five_hour is not None and other.five_hour.used_percent == 70
    assert other.weekly is None
    assert snap.reset_credits == 0


def test_an_additional_limit_without_a_name_or_feature_is_left_out() -> None:
    body: Any = json.loads((PAYLOADS / "plus_codex_other.json").read_text())
    body["additional_rate_limits"] = [{"rate_limit": None}, {"metered_feature": "codex"}]
    assert parse_usage_payload(body, NOW).buckets == {}


# ---- headers read with the request's model ------------------------------------------------

SPARK_ANSWER = {
    "x-codex-plan-type": "pro",
    "x-codex-active-limit": "codex_bengalfox",
    "x-codex-primary-used-percent": "64",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-at": "1790009000",
    "x-codex-secondary-used-percent": "12",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-at": "1790500000",
}


def test_a_spark_answer_describes_the_spark_bucket_not_the_account() -> None:
    snap = parse_usage_headers(SPARK_ANSWER, NOW, model=SPARK_MODEL)
    assert snap is not None
    assert snap.five_hour is None and snap.weekly is None
    spark = snap.buckets[SPARK_BUCKET]
    assert spark.five_hour is not None and spark.five_hour.used_percent == 64
    assert spark.weekly is not None and spark.weekly.used_percent == 12
    assert snap.plan_type == "pro"


def test_the_active_limit_header_alone_marks_the_windows_as_that_limits() -> None:
    snap = parse_usage_headers(SPARK_ANSWER, NOW, model=None)
    assert snap is not None
    assert snap.five_hour is None and snap.weekly is None
    assert SPARK_BUCKET in snap.buckets


def test_a_general_model_answer_fills_the_account_windows() -> None:
    headers = {k: v for k, v in SPARK_ANSWER.items() if k != "x-codex-active-limit"}
    snap = parse_usage_headers(headers, NOW, model="gpt-6-astra")
    assert snap is not None
    assert snap.five_hour is not None and snap.five_hour.used_percent == 64
    assert snap.buckets == {}


def test_a_per_limit_family_fills_its_own_bucket_beside_the_account_windows() -> None:
    headers = {
        "x-codex-primary-used-percent": "30",
        "x-codex-primary-window-minutes": "10080",
        "x-codex-bengalfox-primary-used-percent": "100",
        "x-codex-bengalfox-primary-window-minutes": "300",
        "x-codex-bengalfox-primary-reset-at": "1790009000",
        "x-codex-bengalfox-limit-name": "GPT-5.3-Codex-Spark",
    }
    snap = parse_usage_headers(headers, NOW, model="gpt-6-astra")
    assert snap is not None
    assert snap.weekly is not None and snap.weekly.used_percent == 30
    assert snap.limit_reached is False
    spark = snap.buckets[SPARK_BUCKET]
    assert spark.limit_name == "GPT-5.3-Codex-Spark"
    assert spark.limit_reached is True
    assert spark.earliest_exhausted_reset() == 1790009000


def test_a_reached_limit_on_a_spark_answer_is_sparks() -> None:
    headers = {
        **SPARK_ANSWER,
        "x-codex-primary-used-percent": "100",
        "x-codex-rate-limit-reached-type": "rate_limit_reached",
    }
    snap = parse_usage_headers(headers, NOW, model=SPARK_MODEL)
    assert snap is not None
    assert snap.limit_reached is False
    assert snap.buckets[SPARK_BUCKET].limit_reached is True


def test_header_percent_above_one_hundred_reads_as_full() -> None:
    snap = parse_usage_headers(
        {"x-codex-primary-used-percent": "112.5", "x-codex-primary-window-minutes": "300"}, NOW
    )
    assert snap is not None and snap.five_hour is not None
    assert snap.five_hour.used_percent == 100
    assert snap.limit_reached is True


# ---- merging into what the pool keeps -----------------------------------------------------


def test_a_spark_answer_never_overwrites_the_account_level_view() -> None:
    endpoint = recorded("pro_weekly_primary_spark").model_copy(
        update={"fetched_at": NOW - 60, "limit_reached": True}
    )
    answer = parse_usage_headers(
        {**SPARK_ANSWER, "x-codex-primary-used-percent": "80"}, NOW, model=SPARK_MODEL
    )
    assert answer is not None
    merged = merge_usage(endpoint, answer)
    assert merged.weekly == endpoint.weekly
    assert merged.five_hour is None
    assert merged.limit_reached is True
    assert merged.fetched_at == NOW - 60
    assert merged.source == "endpoint"
    assert merged.reset_credits == 2
    spark = merged.buckets[SPARK_BUCKET]
    assert spark.five_hour is not None and spark.five_hour.used_percent == 80
    assert spark.limit_name == "GPT-5.3-Codex-Spark"


def test_a_general_answer_updates_the_account_and_keeps_the_buckets() -> None:
    endpoint = recorded("pro_weekly_primary_spark")
    answer = parse_usage_headers(
        {"x-codex-primary-used-percent": "50", "x-codex-primary-window-minutes": "10080"},
        NOW + 5,
        model="gpt-6-astra",
    )
    assert answer is not None
    merged = merge_usage(endpoint, answer)
    assert merged.weekly is not None and merged.weekly.used_percent == 50
    assert merged.fetched_at == NOW + 5
    assert merged.source == "headers"
    assert merged.buckets == endpoint.buckets
    assert merged.reset_credits == 2


def test_an_endpoint_snapshot_replaces_everything_buckets_included() -> None:
    old = recorded("pro_weekly_primary_spark")
    new = recorded("team_thirty_day")
    assert merge_usage(old, new) == new
