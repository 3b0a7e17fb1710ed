"""Token-endpoint answers become a TokenSet; identity comes from the tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from multicodex.auth.tokens import (
    LoginResult,
    TokenResponseError,
    login_result,
    tokens_from_response,
)

NOW = 1_800_000_000.0


def test_expires_in_is_authoritative(make_access_token: Callable[..., str]) -> None:
    body = {
        "access_token": make_access_token(exp=1_900_000_000),
        "refresh_token": "rt_new",
        "id_token": "idt",
        "token_type": "Bearer",
        "expires_in": 3600,
    }
    tokens = tokens_from_response(body, now=NOW)
    assert tokens.expires_at == NOW + 3600
    assert tokens.last_refresh == NOW
    assert tokens.refresh_token == "rt_new"
    assert tokens.id_token == "idt"


def test_without_expires_in_the_access_token_exp_is_used(
    make_access_token: Callable[..., str],
) -> None:
    body = {"access_token": make_access_token(exp=1_900_000_000), "refresh_token": "rt"}
    assert tokens_from_response(body, now=NOW).expires_at == 1_900_000_000


def test_numeric_string_expires_in_is_accepted(make_access_token: Callable[..., str]) -> None:
    body = {"access_token": make_access_token(), "refresh_token": "rt", "expires_in": "60"}
    assert tokens_from_response(body, now=NOW).expires_at == NOW + 60


def test_neither_expires_in_nor_exp_is_rejected() -> None:
    with pytest.raises(TokenResponseError, match="expires_in"):
        tokens_from_response({"access_token": "opaque", "refresh_token": "rt"}, now=NOW)


def test_missing_refresh_token_keeps_the_previous_one(
    make_access_token: Callable[..., str],
) -> None:
    body = {"access_token": make_access_token(), "expires_in": 10}
    tokens = tokens_from_response(body, now=NOW, fallback_refresh_token="rt_old")
    assert tokens.refresh_token == "rt_old"
    with pytest.raises(TokenResponseError, match="refresh_token"):
        tokens_from_response(body, now=NOW)


@pytest.mark.parametrize(
    "body",
    [
        None,
        ["access_token"],
        {"refresh_token": "rt", "expires_in": 1},
        {"access_token": "", "refresh_token": "rt", "expires_in": 1},
        {"access_token": 42, "refresh_token": "rt", "expires_in": 1},
        {"access_token": "at", "refresh_token": ["secret-rt-value"], "expires_in": 1},
    ],
)
def test_unusable_bodies_are_rejected_without_quoting_them(body: Any) -> None:
    with pytest.raises(TokenResponseError) as info:
        tokens_from_response(body, now=NOW)
    assert "secret-rt-value" not in str(info.value)
    assert info.value.__cause__ is None


def test_identity_prefers_the_access_token_and_fills_gaps_from_the_id_token(
    make_access_token: Callable[..., str], unsigned_jwt: Callable[[dict[str, Any]], str]
) -> None:
    id_token = unsigned_jwt(
        {
            "email": "from-id@example.test",
            "https://api.openai.com/auth": {
                "chatgpt_account_id": "acct-from-id",
                "chatgpt_plan_type": "pro",
            },
        }
    )
    body = {
        "access_token": make_access_token("acct-1", email=None, plan="plus"),
        "refresh_token": "rt",
        "id_token": id_token,
        "expires_in": 5,
    }
    result = login_result(tokens_from_response(body, now=NOW))
    assert isinstance(result, LoginResult)
    assert result.claims.account_id == "acct-1"
    assert result.claims.plan == "plus"
    assert result.claims.email == "from-id@example.test"


def test_a_login_without_an_account_id_is_rejected(make_access_token: Callable[..., str]) -> None:
    body = {"access_token": make_access_token(None), "refresh_token": "rt", "expires_in": 5}
    with pytest.raises(TokenResponseError, match="account id"):
        login_result(tokens_from_response(body, now=NOW))


def test_login_result_repr_hides_tokens(make_access_token: Callable[..., str]) -> None:
    token = make_access_token()
    body = {"access_token": token, "refresh_token": "rt_secret", "expires_in": 5}
    result = login_result(tokens_from_response(body, now=NOW))
    for text in (repr(result), str(result)):
        assert token not in text
        assert "rt_secret" not in text
