"""Refresh failures are permanent, transient or ambiguous (codex-wire §1.9)."""

from __future__ import annotations

import pytest

from multicodex.auth.refresh import (
    PERMANENT_CODES,
    RefreshError,
    classify_refresh_failure,
    extract_error_code,
    refresh_form,
)
from multicodex.config import CLIENT_ID

REUSED = {
    "error": {
        "message": "Your refresh token has already been used to generate a new access token. "
        "Please try signing in again.",
        "type": "invalid_request_error",
        "param": None,
        "code": "refresh_token_reused",
    }
}
DEAD = {
    "error": {
        "message": "Could not validate your token. Please try signing in again.",
        "type": "invalid_request_error",
        "code": "token_expired",
    }
}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (REUSED, "refresh_token_reused"),
        ({"error": {"code": "refresh_token_expired"}}, "refresh_token_expired"),
        ({"error": "temporary-failure"}, "temporary-failure"),
        ({"error": "invalid_grant", "error_description": "refresh token expired"}, "invalid_grant"),
        ({"code": "account_deactivated", "message": "gone"}, "account_deactivated"),
        ({"error": {"code": "REFRESH_TOKEN_INVALIDATED"}}, "refresh_token_invalidated"),
        ({"error": {"message": "no code here"}}, None),
        ({"detail": "Unauthorized"}, None),
        ("not an object", None),
        (None, None),
    ],
)
def test_error_code_extraction(body: object, code: str | None) -> None:
    assert extract_error_code(body) == code


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (401, REUSED, "refresh_token_reused"),
        (400, REUSED, "refresh_token_reused"),
        (401, DEAD, "token_expired"),
        (401, {"error": {"code": "refresh_token_expired"}}, "refresh_token_expired"),
        (401, {"error": {"code": "refresh_token_invalidated"}}, "refresh_token_invalidated"),
        (400, {"error": "invalid_grant", "error_description": "expired"}, "invalid_grant"),
        (403, {"error": {"code": "account_suspended"}}, "account_suspended"),
        (401, None, None),
        (401, {"error": {"code": "something_new"}}, "something_new"),
    ],
)
def test_permanent_failures(status: int, body: object, code: str | None) -> None:
    error = classify_refresh_failure(status, body)
    assert error.permanent
    assert not error.ambiguous
    assert error.code == code
    assert error.status == status
    assert "sign in again" in str(error)


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (500, {"error": "temporary-failure"}),
        (502, None),
        (503, {"error": {"code": "server_is_overloaded", "message": "busy"}}),
        (429, {"error": {"code": "rate_limit_exceeded"}}),
        (400, {"error": {"code": "unknown_thing"}}),
    ],
)
def test_transient_failures(status: int, body: object) -> None:
    error = classify_refresh_failure(status, body)
    assert not error.permanent
    assert "try again later" in str(error)


def test_gateway_timeout_is_ambiguous() -> None:
    error = classify_refresh_failure(504, None)
    assert not error.permanent
    assert error.ambiguous


def test_every_reauth_code_from_the_brief_is_permanent_even_without_401() -> None:
    expected = {
        "refresh_token_expired",
        "refresh_token_reused",
        "refresh_token_invalidated",
        "invalid_grant",
        "token_expired",
        "token_invalidated",
        "token_revoked",
        "app_session_terminated",
        "account_session_expired",
        "account_deactivated",
        "account_suspended",
        "account_deleted",
    }
    assert expected <= PERMANENT_CODES
    for code in expected:
        assert classify_refresh_failure(400, {"error": {"code": code}}).permanent


def test_deactivated_accounts_are_flagged() -> None:
    assert classify_refresh_failure(401, {"error": {"code": "account_deleted"}}).deactivated
    assert not classify_refresh_failure(401, REUSED).deactivated


def test_refresh_form_fields() -> None:
    form = refresh_form("rt_abc", None)
    assert form == {
        "grant_type": "refresh_token",
        "refresh_token": "rt_abc",
        "client_id": CLIENT_ID,
        "scope": "openid profile email",
    }
    assert refresh_form("rt_abc", "unauthorized_recovery")["refresh_reason"] == (
        "unauthorized_recovery"
    )


def test_refresh_error_repr_has_no_secret_fields() -> None:
    error = RefreshError("boom", permanent=True, code="token_expired", status=401)
    assert repr(error) == (
        "RefreshError('boom', permanent=True, code='token_expired', status=401, ambiguous=False)"
    )
