"""Failure classification from status, body codes, x-error-json and (last) message text."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx2
import pytest

from multicodex.codex.classify import (
    classify_exception,
    classify_http_error,
    classify_message,
    classify_stream_event,
    parse_retry_after,
)
from multicodex.codex.errors import CodexFailure
from multicodex.codex.events import ResponseEvent
from multicodex.model import FailureKind, UsageSnapshot, UsageWindow

NOW = 1_790_000_000.0
FAKE_JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyIn0.c2ln"


def body(obj: Any) -> bytes:
    return json.dumps(obj).encode()


def x_error_json(code: str) -> dict[str, str]:
    return {"x-error-json": base64.b64encode(body({"error": {"code": code}})).decode()}


QUOTA_HEADERS = {
    "x-codex-plan-type": "plus",
    "x-codex-active-limit": "codex",
    "x-codex-primary-used-percent": "100",
    "x-codex-primary-window-minutes": "300",
    "x-codex-primary-reset-at": "1790005000",
    "x-codex-secondary-used-percent": "40",
    "x-codex-secondary-window-minutes": "10080",
    "x-codex-secondary-reset-at": "1790600000",
}


# ---- 429 ------------------------------------------------------------------------------


def test_usage_limit_reached_is_quota_with_resets_at_from_body() -> None:
    failure = classify_http_error(
        429,
        QUOTA_HEADERS,
        body(
            {
                "error": {
                    "type": "usage_limit_reached",
                    "message": "The usage limit has been reached",
                    "plan_type": "plus",
                    "resets_at": 1790012345,
                    "eligible_promo": None,
                    "resets_in_seconds": 7200,
                }
            }
        ),
        now=NOW,
        request_id="req-1",
    )
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.status == 429
    assert failure.code == "usage_limit_reached"
    assert failure.resets_at == 1790012345
    assert failure.usage is not None and failure.usage.five_hour is not None
    assert failure.usage.five_hour.used_percent == 100
    assert failure.request_id == "req-1"
    assert "429" in failure.message and "The usage limit has been reached" in failure.message


def test_quota_reset_from_resets_in_seconds_when_no_resets_at() -> None:
    failure = classify_http_error(
        429, {}, body({"error": {"type": "usage_limit_reached", "resets_in_seconds": 90}}), now=NOW
    )
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.resets_at == NOW + 90


def test_quota_reset_from_the_exhausted_header_window() -> None:
    failure = classify_http_error(
        429, QUOTA_HEADERS, body({"error": {"type": "usage_limit_reached"}}), now=NOW
    )
    assert failure.resets_at == 1790005000


def test_quota_reset_from_the_active_limit_family() -> None:
    headers = {
        **QUOTA_HEADERS,
        "x-codex-primary-used-percent": "10",
        "x-codex-active-limit": "codex_other",
        "x-codex-other-primary-used-percent": "100",
        "x-codex-other-primary-window-minutes": "300",
        "x-codex-other-primary-reset-at": "1790003000",
    }
    failure = classify_http_error(
        429, headers, body({"error": {"type": "usage_limit_reached"}}), now=NOW
    )
    assert failure.resets_at == 1790003000


def test_usage_not_included_is_quota() -> None:
    failure = classify_http_error(
        429,
        {},
        body(
            {
                "error": {
                    "type": "usage_not_included",
                    "message": "Upgrade to Plus",
                    "plan_type": "free",
                }
            }
        ),
        now=NOW,
    )
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.code == "usage_not_included"
    assert failure.resets_at is None


def test_other_429_is_rate_limited_with_delay_from_message() -> None:
    failure = classify_http_error(
        429,
        {"x-codex-primary-used-percent": "12", "x-codex-primary-window-minutes": "300"},
        body(
            {
                "error": {
                    "type": "rate_limit_error",
                    "code": "rate_limit_exceeded",
                    "message": "Slow down, try again in 2s",
                }
            }
        ),
        now=NOW,
    )
    assert failure.kind is FailureKind.RATE_LIMITED
    assert failure.code == "rate_limit_exceeded"
    assert failure.retry_after == 2.0
    assert failure.resets_at is None


def test_429_retry_after_header_wins() -> None:
    failure = classify_http_error(429, {"Retry-After": "7"}, b"Too Many Requests", now=NOW)
    assert failure.kind is FailureKind.RATE_LIMITED
    assert failure.retry_after == 7.0


def test_429_without_code_but_exhausted_headers_is_quota() -> None:
    failure = classify_http_error(429, QUOTA_HEADERS, b"", now=NOW)
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.resets_at == 1790005000


def test_429_without_code_falls_back_to_message_text() -> None:
    quota = classify_http_error(429, {}, body({"detail": "You have hit your usage limit"}), now=NOW)
    assert quota.kind is FailureKind.QUOTA_EXHAUSTED
    plain = classify_http_error(429, {}, body({"detail": "at capacity"}), now=NOW)
    assert plain.kind is FailureKind.RATE_LIMITED


# ---- 5xx ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 504])
def test_server_errors_are_transient(status: int) -> None:
    failure = classify_http_error(status, {}, b"<html>Bad gateway</html>", now=NOW)
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.status == status
    assert str(status) in failure.message


def test_temporary_failure_body_is_transient() -> None:
    failure = classify_http_error(500, {}, body({"error": "temporary-failure"}), now=NOW)
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.code == "temporary-failure"


@pytest.mark.parametrize("code", ["server_is_overloaded", "slow_down"])
def test_503_overload_is_transient(code: str) -> None:
    failure = classify_http_error(
        503,
        {},
        body({"error": {"code": code, "message": "Selected model is at capacity."}}),
        now=NOW,
    )
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.code == code
    assert "at capacity" in failure.message


# ---- 401 / 402 / 403 ------------------------------------------------------------------


def test_401_unauthorized_with_token_expired_header_is_auth_expired() -> None:
    failure = classify_http_error(
        401, x_error_json("token_expired"), body({"detail": "Unauthorized"}), now=NOW
    )
    assert failure.kind is FailureKind.AUTH_EXPIRED
    assert failure.code == "token_expired"


def test_plain_401_unauthorized_is_auth_expired() -> None:
    failure = classify_http_error(401, {}, body({"detail": "Unauthorized"}), now=NOW)
    assert failure.kind is FailureKind.AUTH_EXPIRED
    malformed = classify_http_error(
        401,
        {},
        body({"detail": "Could not parse your authentication token. Please try signing in again."}),
        now=NOW,
    )
    assert malformed.kind is FailureKind.AUTH_EXPIRED


def test_401_account_deactivated_needs_reauth() -> None:
    failure = classify_http_error(
        401,
        x_error_json("account_deactivated"),
        body(
            {
                "error": {
                    "message": "Your OpenAI account has been deactivated, please check your email.",
                    "type": "invalid_request_error",
                    "code": "account_deactivated",
                    "param": None,
                }
            }
        ),
        now=NOW,
    )
    assert failure.kind is FailureKind.NEEDS_REAUTH
    assert failure.code == "account_deactivated"


@pytest.mark.parametrize("code", ["account_deactivated", "token_revoked", "token_invalidated"])
def test_401_reauth_codes_from_x_error_json_alone(code: str) -> None:
    failure = classify_http_error(
        401, x_error_json(code), body({"detail": "Unauthorized"}), now=NOW
    )
    assert failure.kind is FailureKind.NEEDS_REAUTH
    assert failure.code == code


def test_401_token_revoked_body() -> None:
    failure = classify_http_error(
        401,
        {},
        body(
            {
                "error": {
                    "message": "Encountered invalidated oauth token for user, failing request",
                    "type": None,
                    "code": "token_revoked",
                    "param": None,
                },
                "status": 401,
            }
        ),
        now=NOW,
    )
    assert failure.kind is FailureKind.NEEDS_REAUTH


def test_401_deactivated_message_without_code_needs_reauth() -> None:
    failure = classify_http_error(
        401, {}, body({"detail": "This account was deactivated"}), now=NOW
    )
    assert failure.kind is FailureKind.NEEDS_REAUTH


def test_garbage_x_error_json_is_ignored() -> None:
    failure = classify_http_error(401, {"x-error-json": "%%%not-base64"}, b"", now=NOW)
    assert failure.kind is FailureKind.AUTH_EXPIRED


def test_402_deactivated_workspace_needs_reauth() -> None:
    failure = classify_http_error(
        402, {}, body({"detail": {"code": "deactivated_workspace"}}), now=NOW
    )
    assert failure.kind is FailureKind.NEEDS_REAUTH
    assert failure.code == "deactivated_workspace"


def test_403_cloudflare_page_is_transient_and_says_so() -> None:
    html = (
        b"<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head>"
        b"<body>Sorry, you have been blocked</body></html>"
    )
    failure = classify_http_error(403, {"cf-ray": "abc"}, html, now=NOW)
    assert failure.kind is FailureKind.TRANSIENT
    assert "Cloudflare" in failure.message
    assert "<html" not in failure.message


# ---- 400 and other 4xx ----------------------------------------------------------------


@pytest.mark.parametrize(
    "detail",
    [
        "Store must be set to false",
        "Instructions are required",
        "Input must be a list",
    ],
)
def test_400_is_bad_request(detail: str) -> None:
    failure = classify_http_error(400, {}, body({"detail": detail}), now=NOW)
    assert failure.kind is FailureKind.BAD_REQUEST
    assert detail[:40] in failure.message


def test_400_context_length_is_bad_request() -> None:
    failure = classify_http_error(
        400,
        {},
        body({"error": {"code": "context_length_exceeded", "message": "too long"}}),
        now=NOW,
    )
    assert failure.kind is FailureKind.BAD_REQUEST
    assert failure.code == "context_length_exceeded"


def test_404_mentioning_usage_limit_is_quota() -> None:
    failure = classify_http_error(404, {}, b"usage_limit_reached", now=NOW)
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    unknown = classify_http_error(404, {}, b"Unknown error", now=NOW)
    assert unknown.kind is FailureKind.TRANSIENT


def test_413_and_422_are_bad_requests() -> None:
    assert classify_http_error(413, {}, b"", now=NOW).kind is FailureKind.BAD_REQUEST
    assert classify_http_error(422, {}, b"{}", now=NOW).kind is FailureKind.BAD_REQUEST


# ---- messages never leak secrets -------------------------------------------------------


def test_messages_redact_token_like_strings_and_stay_short() -> None:
    failure = classify_http_error(
        400,
        {},
        body(
            {
                "detail": f"bad token {FAKE_JWT} and Bearer {FAKE_JWT} rt_abcdefghijklmnop "
                + "x" * 500
            }
        ),
        now=NOW,
    )
    assert FAKE_JWT not in failure.message
    assert "rt_abcdefghijklmnop" not in failure.message
    assert len(failure.message) < 300
    assert FAKE_JWT not in repr(failure)


# ---- in-stream failures ----------------------------------------------------------------


def failed(code: str | None, message: str = "boom", **extra: Any) -> ResponseEvent:
    error: dict[str, Any] = {"message": message, **extra}
    if code is not None:
        error["code"] = code
    return ResponseEvent(
        type="response.failed",
        data={
            "type": "response.failed",
            "response": {"id": "resp_1", "status": "failed", "error": error},
        },
    )


def test_stream_context_length_exceeded_is_bad_request() -> None:
    failure = classify_stream_event(
        failed("context_length_exceeded", "Your input exceeds the context window"), now=NOW
    )
    assert failure.kind is FailureKind.BAD_REQUEST
    assert failure.code == "context_length_exceeded"
    assert failure.status is None


@pytest.mark.parametrize(
    "code", ["insufficient_quota", "usage_not_included", "usage_limit_reached"]
)
def test_stream_quota_codes(code: str) -> None:
    failure = classify_stream_event(failed(code, "Quota exceeded", resets_in_seconds=60), now=NOW)
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.resets_at == NOW + 60


def test_stream_quota_reset_falls_back_to_stream_usage() -> None:
    usage = UsageSnapshot(
        five_hour=UsageWindow(used_percent=100, window_seconds=18000, resets_at=NOW + 500),
        fetched_at=NOW,
        source="headers",
    )
    failure = classify_stream_event(failed("insufficient_quota"), now=NOW, usage=usage)
    assert failure.resets_at == NOW + 500
    assert failure.usage is usage


def test_stream_rate_limit_exceeded_carries_delay() -> None:
    failure = classify_stream_event(
        failed("rate_limit_exceeded", "Rate limit reached. Please try again in 11.054s."), now=NOW
    )
    assert failure.kind is FailureKind.RATE_LIMITED
    assert failure.retry_after == pytest.approx(11.054)


@pytest.mark.parametrize("code", ["server_error", "server_is_overloaded", "something_new", None])
def test_other_stream_failures_are_transient(code: str | None) -> None:
    failure = classify_stream_event(failed(code, "An error occurred while processing"), now=NOW)
    assert failure.kind is FailureKind.TRANSIENT


def test_stream_failure_without_code_uses_text_patterns() -> None:
    failure = classify_stream_event(failed(None, "You have hit your usage limit"), now=NOW)
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED


def test_error_event_top_level_and_nested() -> None:
    top = classify_stream_event(
        {"type": "error", "code": "rate_limit_exceeded", "message": "try again in 500ms"}, now=NOW
    )
    assert top.kind is FailureKind.RATE_LIMITED and top.retry_after == 0.5
    nested = classify_stream_event(
        {"type": "error", "error": {"code": "server_is_overloaded", "message": "busy"}}, now=NOW
    )
    assert nested.kind is FailureKind.TRANSIENT and nested.code == "server_is_overloaded"


def test_websocket_style_error_event_is_classified_like_http() -> None:
    failure = classify_stream_event(
        {
            "type": "error",
            "status_code": 429,
            "error": {"type": "usage_limit_reached", "resets_at": 1790012345},
            "headers": {
                "X-Codex-Primary-Used-Percent": "100",
                "X-Codex-Primary-Window-Minutes": "300",
            },
        },
        now=NOW,
    )
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.status == 429
    assert failure.resets_at == 1790012345


# ---- helpers --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "seconds"),
    [
        ("Please try again in 11.054s.", 11.054),
        ("try again in 20ms", 0.02),
        ("Try again in 2 seconds", 2.0),
        ("try again in 3 min", 180.0),
        ("try again in 5", 5.0),
        ("no hint here", None),
        (None, None),
    ],
)
def test_parse_retry_after(message: str | None, seconds: float | None) -> None:
    assert parse_retry_after(message) == (pytest.approx(seconds) if seconds is not None else None)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("HTTP 429 Too Many Requests", FailureKind.RATE_LIMITED),
        ("You have hit your ChatGPT usage limit.", FailureKind.QUOTA_EXHAUSTED),
        ("Quota exceeded", FailureKind.QUOTA_EXHAUSTED),
        ("rate limit exceeded", FailureKind.RATE_LIMITED),
        ("Rate-Limit: exceeded", FailureKind.RATE_LIMITED),
        ("network error", None),
        ("bad request", None),
    ],
)
def test_text_fallback_patterns(text: str, kind: FailureKind | None) -> None:
    assert classify_message(text) is kind


def test_classify_exception() -> None:
    cancelled = classify_exception(asyncio.CancelledError())
    assert cancelled is not None and cancelled.kind is FailureKind.CANCELLED
    drop = classify_exception(httpx2.RemoteProtocolError("peer closed connection"))
    assert drop is not None and drop.kind is FailureKind.TRANSIENT
    timeout = classify_exception(httpx2.ReadTimeout("timed out"))
    assert timeout is not None and timeout.kind is FailureKind.TRANSIENT
    existing = CodexFailure(FailureKind.BAD_REQUEST, "x")
    assert classify_exception(existing) is existing
    assert classify_exception(ValueError("unrelated")) is None


def test_a_json_body_without_message_is_not_dumped_into_the_message() -> None:
    failure = classify_http_error(
        429, {}, body({"error": {"type": "usage_limit_reached", "resets_in_seconds": 60}}), now=NOW
    )
    assert failure.message == "HTTP 429 usage_limit_reached"
    with_id = classify_http_error(500, {}, body({"error": "temporary-failure"}), request_id="r-1")
    assert with_id.message == "HTTP 500 temporary-failure (request id r-1)"
