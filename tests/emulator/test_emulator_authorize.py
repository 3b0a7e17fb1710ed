"""Browser login (authorize + PKCE code exchange) and the device-code flow."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlsplit

import httpx2
from emulator_helpers import TOKEN_PATH

from multicodex.auth.claims import read_claims
from multicodex.config import CLIENT_ID
from multicodex_emulator import EmuAccount, Emulator

REDIRECT_URI = "http://localhost:1455/auth/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_params(challenge: str, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": redirect_uri,
        "scope": "openid profile email offline_access",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "id_token_add_organizations": "true",
        "codex_cli_simplified_flow": "true",
        "state": "state-123",
        "originator": "codex_cli_rs",
    }


async def authorize(
    client: httpx2.AsyncClient, challenge: str, redirect_uri: str = REDIRECT_URI
) -> dict[str, str]:
    answer = await client.get("/oauth/authorize", params=authorize_params(challenge, redirect_uri))
    assert answer.status_code == 302
    location = urlsplit(answer.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == redirect_uri
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def code_form(code: str, verifier: str, redirect_uri: str = REDIRECT_URI) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": CLIENT_ID,
        "code_verifier": verifier,
    }


async def test_authorize_then_exchange_signs_in_the_first_account(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount
) -> None:
    emu.add_account(email="second@example.test")
    verifier, challenge = pkce_pair()
    callback = await authorize(client, challenge)
    assert callback["state"] == "state-123"
    answer = await client.post(TOKEN_PATH, data=code_form(callback["code"], verifier))
    assert answer.status_code == 200
    tokens = answer.json()
    assert read_claims(tokens["access_token"]).account_id == account.account_id
    assert {"id_token", "refresh_token", "expires_in"} <= set(tokens)
    counters = emu.counters(account.account_id)
    assert (counters["authorize"], counters["code_exchanges"]) == (1, 1)


async def test_authorize_as_picks_the_account_and_any_loopback_port_is_allowed(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount
) -> None:
    other = emu.add_account(email="bob@example.test")
    emu.authorize_as(other.account_id)
    redirect = "http://127.0.0.1:50123/auth/callback"
    verifier, challenge = pkce_pair()
    callback = await authorize(client, challenge, redirect)
    answer = await client.post(TOKEN_PATH, data=code_form(callback["code"], verifier, redirect))
    assert read_claims(answer.json()["id_token"]).email == "bob@example.test"


async def test_pkce_mismatch_is_invalid_grant_and_spends_the_code(
    client: httpx2.AsyncClient, account: EmuAccount
) -> None:
    verifier, challenge = pkce_pair()
    callback = await authorize(client, challenge)
    wrong = await client.post(TOKEN_PATH, data=code_form(callback["code"], pkce_pair()[0]))
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    assert "code_verifier" in wrong.json()["error_description"]
    again = await client.post(TOKEN_PATH, data=code_form(callback["code"], verifier))
    assert (again.status_code, again.json()["error"]) == (400, "invalid_grant")


async def test_exchange_needs_the_same_redirect_uri_and_client(
    client: httpx2.AsyncClient, account: EmuAccount
) -> None:
    verifier, challenge = pkce_pair()
    callback = await authorize(client, challenge)
    other_port = code_form(callback["code"], verifier, "http://localhost:1457/auth/callback")
    answer = await client.post(TOKEN_PATH, data=other_port)
    assert (answer.status_code, answer.json()["error"]) == (400, "invalid_grant")
    assert "redirect_uri" in answer.json()["error_description"]

    verifier, challenge = pkce_pair()
    callback = await authorize(client, challenge)
    wrong_client = {**code_form(callback["code"], verifier), "client_id": "app_other"}
    answer = await client.post(TOKEN_PATH, data=wrong_client)
    assert (answer.status_code, answer.json()["error"]) == (401, "invalid_client")


async def test_code_reuse_is_refused(client: httpx2.AsyncClient, account: EmuAccount) -> None:
    verifier, challenge = pkce_pair()
    callback = await authorize(client, challenge)
    assert (await client.post(TOKEN_PATH, data=code_form(callback["code"], verifier))).is_success
    again = await client.post(TOKEN_PATH, data=code_form(callback["code"], verifier))
    assert again.status_code == 400
    assert "already been used" in again.json()["error_description"]


async def test_code_expires_with_the_emulator_clock(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount
) -> None:
    verifier, challenge = pkce_pair()
    callback = await authorize(client, challenge)
    emu.advance_clock(601)
    answer = await client.post(TOKEN_PATH, data=code_form(callback["code"], verifier))
    assert "expired" in answer.json()["error_description"]


async def test_bad_authorize_requests_are_refused_without_redirect(
    client: httpx2.AsyncClient, account: EmuAccount
) -> None:
    _, challenge = pkce_pair()
    bad = [
        {"redirect_uri": "https://evil.example/auth/callback"},
        {"redirect_uri": "http://localhost:1455/other"},
        {"client_id": "app_other"},
        {"response_type": "token"},
        {"code_challenge_method": "plain"},
    ]
    for override in bad:
        answer = await client.get(
            "/oauth/authorize", params={**authorize_params(challenge), **override}
        )
        assert answer.status_code == 400, override
        assert answer.json()["error"] == "invalid_request"


async def test_denial_mode_redirects_with_missing_codex_entitlement(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount
) -> None:
    emu.deny_next_authorize()
    _, challenge = pkce_pair()
    callback = await authorize(client, challenge)
    assert callback == {
        "error": "access_denied",
        "error_description": "missing_codex_entitlement",
        "state": "state-123",
    }
    # One-shot: the next attempt is approved again.
    assert "code" in await authorize(client, challenge)


async def test_device_flow_pending_until_approved_through_control(
    client: httpx2.AsyncClient, base_url: str, emu: Emulator, account: EmuAccount
) -> None:
    emu.update_settings(device_auto_approve_after=None)
    start = await client.post("/api/accounts/deviceauth/usercode", json={"client_id": CLIENT_ID})
    assert start.status_code == 200
    device = start.json()
    assert device["usercode"] == device["user_code"]
    assert device["interval"].isdigit()
    poll = {"device_auth_id": device["device_auth_id"], "user_code": device["user_code"]}
    for _ in range(3):
        pending = await client.post("/api/accounts/deviceauth/token", json=poll)
        assert pending.status_code == 403
    emu.approve_device(device["user_code"])
    approved = await client.post("/api/accounts/deviceauth/token", json=poll)
    assert approved.status_code == 200
    grant = approved.json()
    form = code_form(
        grant["authorization_code"], grant["code_verifier"], f"{base_url}/deviceauth/callback"
    )
    answer = await client.post(TOKEN_PATH, data=form)
    assert answer.status_code == 200
    assert read_claims(answer.json()["access_token"]).account_id == account.account_id
    assert emu.counters(account.account_id)["device_approvals"] == 1
    # Redeemed device authorizations are gone.
    gone = await client.post("/api/accounts/deviceauth/token", json=poll)
    assert gone.status_code == 404


async def test_device_flow_auto_approves_after_the_configured_polls(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount
) -> None:
    emu.update_settings(device_auto_approve_after=2)
    start = await client.post("/api/accounts/deviceauth/usercode", json={"client_id": CLIENT_ID})
    poll = {
        "device_auth_id": start.json()["device_auth_id"],
        "user_code": start.json()["user_code"],
    }
    statuses = [
        (await client.post("/api/accounts/deviceauth/token", json=poll)).status_code
        for _ in range(3)
    ]
    assert statuses == [403, 403, 200]


async def test_device_flow_rejects_unknown_codes_and_clients(
    client: httpx2.AsyncClient, account: EmuAccount
) -> None:
    refused = await client.post("/api/accounts/deviceauth/usercode", json={"client_id": "nope"})
    assert refused.status_code == 401
    unknown = await client.post(
        "/api/accounts/deviceauth/token", json={"device_auth_id": "x", "user_code": "y"}
    )
    assert unknown.status_code == 404
