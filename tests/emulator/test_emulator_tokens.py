"""Token minting and the refresh / token-exchange / revoke grants of /oauth/token."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx2
from emulator_helpers import RESPONSES_PATH, TOKEN_PATH, bearer, refresh_form, responses_body

from multicodex.auth.claims import decode_payload, read_claims
from multicodex.config import CLIENT_ID
from multicodex_emulator import EmuAccount, Emulator

REUSED_MESSAGE = (
    "Your refresh token has already been used to generate a new access token. "
    "Please try signing in again."
)


def test_minted_tokens_carry_the_real_claim_layout(emu: Emulator, account: EmuAccount) -> None:
    tokens = emu.issue_tokens(account.account_id)
    assert set(tokens) == {
        "id_token", "access_token", "refresh_token", "token_type", "expires_in", "scope"
    }  # fmt: skip
    access = decode_payload(tokens["access_token"])
    auth = access["https://api.openai.com/auth"]
    assert access["iss"] == "https://auth.openai.com"
    assert access["client_id"] == CLIENT_ID
    assert access["scp"] == ["openid", "profile", "email", "offline_access"]
    assert access["exp"] - access["iat"] == tokens["expires_in"] == 864000
    assert auth["chatgpt_account_id"] == account.account_id
    assert auth["chatgpt_plan_type"] == "plus"
    assert auth["chatgpt_user_id"] == auth["user_id"] == account.user_id
    assert access["https://api.openai.com/profile"]["email"] == "alice@example.test"
    assert "email" not in access
    id_payload = decode_payload(tokens["id_token"])
    assert id_payload["email"] == "alice@example.test"
    assert id_payload["https://api.openai.com/auth"]["organizations"][0]["is_default"] is True
    assert read_claims(tokens["id_token"]).account_id == account.account_id
    assert tokens["refresh_token"].startswith("rt_")
    assert tokens["token_type"] == "Bearer"


def test_token_lifetime_is_configurable() -> None:
    emu = Emulator(token_lifetime=5)
    account = emu.add_account(email="short@example.test")
    tokens = emu.issue_tokens(account.account_id)
    access = decode_payload(tokens["access_token"])
    assert tokens["expires_in"] == 5 == access["exp"] - access["iat"]


async def test_refresh_with_a_form_body_rotates_all_three_tokens(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    response = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert response.status_code == 200
    fresh = response.json()
    assert fresh["refresh_token"] != tokens["refresh_token"]
    assert fresh["access_token"] != tokens["access_token"]
    assert read_claims(fresh["id_token"]).account_id == account.account_id
    assert emu.counters(account.account_id)["refreshes"] == 1
    record = emu.requests_to(TOKEN_PATH)[-1]
    assert record.body_encoding == "form"
    assert record.grant_type == "refresh_token"
    assert record.account_id == account.account_id


async def test_refresh_with_a_json_body_and_refresh_reason(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    body = refresh_form(tokens["refresh_token"], refresh_reason="proactive_expiry")
    response = await client.post(TOKEN_PATH, json=body)
    assert response.status_code == 200
    fresh = response.json()
    # The rotated chain keeps working.
    again = await client.post(TOKEN_PATH, json=refresh_form(fresh["refresh_token"]))
    assert again.status_code == 200
    assert emu.requests_to(TOKEN_PATH)[0].body["refresh_reason"] == "proactive_expiry"


async def test_reusing_a_refresh_token_is_refused_with_the_observed_body(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    first = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert first.status_code == 200
    reused = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert reused.status_code == 401
    assert reused.json() == {
        "error": {
            "message": REUSED_MESSAGE,
            "type": "invalid_request_error",
            "param": None,
            "code": "refresh_token_reused",
        }
    }
    counters = emu.counters(account.account_id)
    assert counters["refreshes"] == 1
    assert counters["refresh_reused"] == 1


async def test_the_log_says_when_a_refresh_grant_took_effect(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    """A slow answer is sent after the rotation: ``granted_at`` lies between the request's
    arrival and its end; a refused refresh granted nothing."""
    emu.update_settings(token_latency=0.05)
    await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))

    granted, refused = emu.requests_to(TOKEN_PATH)
    assert granted.granted_at is not None and granted.finished_at is not None
    assert granted.started_at <= granted.granted_at <= granted.finished_at
    assert refused.error_code == "refresh_token_reused"
    assert refused.granted_at is None


async def test_reuse_status_can_be_switched_to_400(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    emu.update_settings(reused_status=400)
    await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    reused = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert reused.status_code == 400
    assert reused.json()["error"]["code"] == "refresh_token_reused"


async def test_concurrent_refreshes_with_one_token_yield_exactly_one_success(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    form = refresh_form(tokens["refresh_token"])
    answers = await asyncio.gather(*(client.post(TOKEN_PATH, data=form) for _ in range(4)))
    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200, 401, 401, 401]
    codes = {a.json()["error"]["code"] for a in answers if a.status_code == 401}
    assert codes == {"refresh_token_reused"}
    assert emu.counters(account.account_id)["refreshes"] == 1


async def test_expired_revoked_and_unknown_refresh_tokens(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount
) -> None:
    expired = emu.issue_tokens(account.account_id)
    assert emu.expire_refresh_tokens(account.account_id) == 1
    revoked = emu.issue_tokens(account.account_id)
    assert emu.revoke_refresh_tokens(account.account_id) == 1

    answer = await client.post(TOKEN_PATH, data=refresh_form(expired["refresh_token"]))
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "refresh_token_expired")
    answer = await client.post(TOKEN_PATH, data=refresh_form(revoked["refresh_token"]))
    assert (answer.status_code, answer.json()["error"]["code"]) == (
        401,
        "refresh_token_invalidated",
    )
    answer = await client.post(TOKEN_PATH, data=refresh_form("rt_garbage"))
    assert answer.status_code == 401
    assert answer.json()["error"] == {
        "message": "Could not validate your token. Please try signing in again.",
        "type": "invalid_request_error",
        "param": None,
        "code": "token_expired",
    }
    assert emu.counters(account.account_id)["refresh_failures"] == 2


async def test_refresh_tokens_age_out_with_the_emulator_clock(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount
) -> None:
    emu.update_settings(refresh_token_lifetime=3600)
    tokens = emu.issue_tokens(account.account_id)
    emu.advance_clock(3601)
    answer = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert answer.json()["error"]["code"] == "refresh_token_expired"


async def test_deactivated_account_cannot_refresh(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.deactivate(account.account_id)
    answer = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert (answer.status_code, answer.json()["error"]["code"]) == (401, "account_deactivated")


async def test_wrong_or_missing_client_id_is_invalid_client(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    form = refresh_form(tokens["refresh_token"])
    for client_id in ("app_other", None):
        body = (
            {**form, "client_id": client_id}
            if client_id
            else {k: v for k, v in form.items() if k != "client_id"}
        )
        answer = await client.post(TOKEN_PATH, data=body)
        assert answer.status_code == 401
        assert answer.json()["error"] == "invalid_client"
    # The refresh token was not spent by the refused attempts.
    assert (await client.post(TOKEN_PATH, data=form)).status_code == 200


async def test_unsupported_grant_and_bad_bodies(client: httpx2.AsyncClient) -> None:
    answer = await client.post(TOKEN_PATH, data={"grant_type": "password", "client_id": CLIENT_ID})
    assert (answer.status_code, answer.json()["error"]) == (400, "unsupported_grant_type")
    answer = await client.post(
        TOKEN_PATH, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")
    answer = await client.post(
        TOKEN_PATH, data={"grant_type": "refresh_token", "client_id": CLIENT_ID}
    )
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_request")


async def test_temporary_failure_fault_does_not_spend_the_token(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    emu.script_token_faults([{"kind": "status"}])
    failed = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert (failed.status_code, failed.json()) == (500, {"error": "temporary-failure"})
    assert (await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))).is_success


async def test_drop_after_rotate_leaves_the_old_token_spent(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_token_faults([{"kind": "drop"}])
    try:
        await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    except httpx2.TransportError:
        pass
    else:
        raise AssertionError("the connection should have been dropped without an answer")
    assert emu.counters(account.account_id)["refreshes"] == 1
    retry = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert retry.json()["error"]["code"] == "refresh_token_reused"


async def test_drop_before_rotate_keeps_the_token_alive(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    emu.script_token_faults([{"kind": "drop", "after_rotate": False}])
    try:
        await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    except httpx2.TransportError:
        pass
    else:
        raise AssertionError("the connection should have been dropped without an answer")
    assert (await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))).is_success


async def test_slow_fault_rotates_before_the_client_gives_up(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    emu.script_token_faults([{"kind": "slow", "seconds": 5}])
    try:
        await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]), timeout=0.3)
    except httpx2.TimeoutException:
        pass
    else:
        raise AssertionError("the slow answer should have outlasted the client timeout")
    retry = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert retry.json()["error"]["code"] == "refresh_token_reused"


async def test_token_exchange_grant_yields_an_api_key(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_id": CLIENT_ID,
        "requested_token": "openai-api-key",
        "subject_token": tokens["id_token"],
        "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
    }
    answer = await client.post(TOKEN_PATH, data=form)
    assert answer.status_code == 200
    assert answer.json()["access_token"].startswith("sk-emu-")
    refused = await client.post(TOKEN_PATH, data={**form, "subject_token": "garbage"})
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")


async def test_revoke_endpoint_invalidates_refresh_and_access_tokens(
    client: httpx2.AsyncClient, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    revoke = {
        "token": tokens["refresh_token"],
        "token_type_hint": "refresh_token",
        "client_id": CLIENT_ID,
    }
    assert (await client.post("/oauth/revoke", json=revoke)).status_code == 200
    answer = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert answer.json()["error"]["code"] == "refresh_token_invalidated"

    revoke_access = {"token": tokens["access_token"], "client_id": CLIENT_ID}
    assert (await client.post("/oauth/revoke", json=revoke_access)).status_code == 200
    answer = await client.post(RESPONSES_PATH, headers=bearer(tokens), json=responses_body())
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "token_revoked"
    bad_client = await client.post("/oauth/revoke", json={**revoke, "client_id": "nope"})
    assert bad_client.status_code == 401
