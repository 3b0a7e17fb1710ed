"""Failures read together with the request's model: gates on a model, and quota 429s of
a model's own limit (Spark's)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from multicodex.codex.classify import classify_http_error
from multicodex.model import FailureKind
from multicodex.model.quota import GENERAL_BUCKET, SPARK_BUCKET

NOW = 1_790_000_000.0
NEWER_VERSION = (
    "The 'gpt-6-astra' model requires a newer version of Codex. "
    "Please upgrade to the latest app or CLI and try again."
)
NOT_SUPPORTED = (
    "The 'gpt-5.1-codex' model is not supported when using Codex with a ChatGPT account."
)


def body(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def test_requires_a_newer_version_gates_the_model_it_names() -> None:
    failure = classify_http_error(400, {}, body({"detail": NEWER_VERSION}), now=NOW, model="x")
    assert failure.kind is FailureKind.MODEL_GATED
    assert failure.gate == "version"
    assert failure.model == "gpt-6-astra"
    assert "requires a newer version" in failure.message


def test_not_supported_gates_the_model_for_the_plan() -> None:
    failure = classify_http_error(400, {}, body({"detail": NOT_SUPPORTED}), now=NOW)
    assert failure.kind is FailureKind.MODEL_GATED
    assert failure.gate == "plan"
    assert failure.model == "gpt-5.1-codex"


def test_a_gate_message_on_another_status_is_no_gate() -> None:
    failure = classify_http_error(500, {}, body({"detail": NEWER_VERSION}), now=NOW)
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.gate is None


def test_other_400s_stay_bad_requests() -> None:
    failure = classify_http_error(
        400, {}, body({"detail": "Instructions are required"}), now=NOW, model="gpt-5.5"
    )
    assert failure.kind is FailureKind.BAD_REQUEST
    assert failure.gate is None


def _limit_body(resets_in: int) -> bytes:
    return body(
        {
            "error": {
                "type": "usage_limit_reached",
                "message": "The usage limit has been reached",
                "plan_type": "pro",
                "resets_in_seconds": resets_in,
            }
        }
    )


def test_a_spark_quota_429_names_the_spark_bucket_and_its_reset() -> None:
    failure = classify_http_error(429, {}, _limit_body(600), now=NOW, model="gpt-5.3-codex-spark")
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.bucket == SPARK_BUCKET
    assert failure.resets_at == NOW + 600


def test_a_quota_429_of_a_general_model_is_the_general_bucket() -> None:
    failure = classify_http_error(429, {}, _limit_body(600), now=NOW, model="gpt-5.5")
    assert failure.bucket == GENERAL_BUCKET


def test_the_active_limit_header_names_the_exhausted_bucket() -> None:
    headers = {"x-codex-active-limit": SPARK_BUCKET}
    failure = classify_http_error(429, headers, _limit_body(60), now=NOW, model="gpt-5.5")
    assert failure.bucket == SPARK_BUCKET


def test_spark_headers_on_a_429_reset_the_spark_bucket_not_the_account() -> None:
    """A Spark answer's x-codex-primary-* describe Spark's window: its reset is the
    cooldown's end, and the account's own windows stay unknown."""
    reset = NOW + 1800
    headers = {
        "x-codex-primary-used-percent": "100",
        "x-codex-primary-window-minutes": "300",
        "x-codex-primary-reset-at": str(int(reset)),
    }
    limit = body({"error": {"type": "usage_limit_reached", "message": "limit reached"}})
    failure = classify_http_error(429, headers, limit, now=NOW, model="gpt-5.3-codex-spark")
    assert failure.bucket == SPARK_BUCKET
    assert failure.resets_at == pytest.approx(reset)
    assert failure.usage is None or failure.usage.five_hour is None
