"""Login and refresh end to end against the loopback emulator, over real sockets.

The test plays the browser: it GETs the authorize URL without following the redirect,
then delivers the redirect's Location to our loopback callback.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest

from multicodex.auth.device import DeviceLogin
from multicodex.auth.pkce_login import BrowserLogin, LoginCancelled, LoginError, LoginTimeout
from multicodex.auth.refresh import RefreshError, refresh_tokens
from multicodex.auth.tokens import LoginResult
from multicodex.config import CLIENT_ID, Endpoints
from multicodex_emulator import Emulator
from multicodex_emulator.models import EmuAccount
from support.idle_clients import IdleClients


@dataclass
class World:
    emu: Emulator
    account: EmuAccount
    endpoints: Endpoints
    http: httpx2.AsyncClient


@pytest.fixture
async def world() -> AsyncIterator[World]:
    emu = Emulator(token_lifetime=864000)
    account = emu.add_account(email="a@example.test", plan="plus")
    async with emu.serve() as base_url, httpx2.AsyncClient(timeout=30.0) as http:
        endpoints = Endpoints(auth_url=base_url, backend_url=base_url + "/backend-api")
        yield World(emu, account, endpoints, http)


async def _authorize(world: World, url: str) -> str:
    """The browser's trip to the authorization server: returns the redirect Location."""
    answer = await world.http.get(url, follow_redirects=False)
    assert answer.status_code == 302
    return answer.headers["location"]


def _assert_signed_in_as(result: LoginResult, account: EmuAccount) -> None:
    assert result.claims.account_id == account.account_id
    assert result.claims.email == account.email
    assert result.claims.plan == "plus"
    assert result.tokens.refresh_token
    assert result.tokens.id_token
    assert result.claims.expires_at is not None


# --- browser login ---------------------------------------------------------------------


async def test_browser_login_end_to_end(
    world: World,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(2))
    url = await login.start()
    location = await _authorize(world, url)
    assert location.startswith(f"http://localhost:{login.port}/auth/callback?")

    page = await world.http.get(location)
    assert page.status_code == 200
    assert "close this tab" in page.text
    assert world.account.email in page.text

    result = await login.wait()
    _assert_signed_in_as(result, world.account)
    assert world.emu.counters(world.account.account_id)["code_exchanges"] == 1
    assert port_closed(login.port)

    (exchange,) = world.emu.requests_to("/oauth/token")
    assert exchange.body_encoding == "form"
    assert exchange.body["grant_type"] == "authorization_code"
    assert exchange.body["client_id"] == CLIENT_ID
    assert exchange.body["redirect_uri"] == f"http://localhost:{login.port}/auth/callback"
    assert "client_secret" not in exchange.body


async def test_login_signs_in_the_account_the_user_picked(
    world: World, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    other = world.emu.add_account(email="b@example.test", plan="plus")
    world.emu.authorize_as(other.account_id)
    async with BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1)) as login:
        location = await _authorize(world, await login.start())
        await world.http.get(location)
        result = await login.wait()
    _assert_signed_in_as(result, other)


async def test_second_port_is_used_when_the_first_is_busy(
    world: World,
    free_loopback_ports: Callable[[int], list[int]],
    occupy_port: Callable[[int], Any],
) -> None:
    first, second = free_loopback_ports(2)
    with occupy_port(first):
        login = BrowserLogin(world.endpoints, world.http, ports=(first, second))
        location = await _authorize(world, await login.start())
        assert login.port == second
        assert location.startswith(f"http://localhost:{second}/auth/callback?")
        await world.http.get(location)
        _assert_signed_in_as(await login.wait(), world.account)


async def test_a_forged_state_is_ignored_and_the_genuine_redirect_signs_in(
    world: World, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    async with BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1)) as login:
        location = await _authorize(world, await login.start())
        forged = await world.http.get(location.replace("state=", "state=forged"))
        exchanges_after_forgery = world.emu.counters(world.account.account_id)["code_exchanges"]
        genuine = await world.http.get(location)
        result = await asyncio.wait_for(login.wait(), 30)

    assert forged.status_code == 400
    assert "Not this sign-in" in forged.text
    assert exchanges_after_forgery == 0
    assert genuine.status_code == 200
    _assert_signed_in_as(result, world.account)
    assert world.emu.counters(world.account.account_id)["code_exchanges"] == 1


async def test_stray_hits_then_the_real_redirect_signs_in(
    world: World, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    async with BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1)) as login:
        location = await _authorize(world, await login.start())
        callback = f"http://127.0.0.1:{login.port}/auth/callback"
        stray = [
            await world.http.get(callback, params={"code": "ac_other", "state": "other"}),
            await world.http.get(callback),
            await world.http.get(callback, params={"error": "access_denied", "state": "other"}),
            await world.http.get(f"http://127.0.0.1:{login.port}/favicon.ico"),
        ]
        genuine = await world.http.get(location)
        result = await asyncio.wait_for(login.wait(), 30)

    assert [page.status_code for page in stray] == [400, 400, 400, 404]
    assert genuine.status_code == 200
    _assert_signed_in_as(result, world.account)
    assert world.emu.counters(world.account.account_id)["code_exchanges"] == 1


async def test_hundreds_of_silent_connections_do_not_keep_the_redirect_out(
    world: World, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    idle = IdleClients()
    try:
        async with BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1)) as login:
            location = await _authorize(world, await login.start())
            await idle.open(login.port, 200)
            genuine = await world.http.get(location)
            result = await asyncio.wait_for(login.wait(), 30)
    finally:
        idle.close()

    assert genuine.status_code == 200
    _assert_signed_in_as(result, world.account)


async def test_missing_entitlement_from_the_server(
    world: World, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    world.emu.deny_next_authorize("access_denied", "missing_codex_entitlement")
    login = BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1))
    location = await _authorize(world, await login.start())
    await world.http.get(location)
    with pytest.raises(LoginError, match="Codex is not enabled for this workspace"):
        await login.wait()


async def test_failed_exchange_is_reported_to_browser_and_caller(
    world: World, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    refusal = {"kind": "status", "status": 400, "body": {"error": "invalid_grant"}}
    world.emu.script_token_faults([refusal])
    login = BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1))
    location = await _authorize(world, await login.start())
    page = await world.http.get(location)
    assert page.status_code == 400
    assert "invalid_grant" in page.text
    with pytest.raises(LoginError, match=r"Token exchange failed: invalid_grant \(HTTP 400\)"):
        await login.wait()


async def test_login_times_out_with_a_clear_message(
    world: World,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1), timeout=0.5)
    await _authorize(world, await login.start())  # the browser never comes back
    with pytest.raises(LoginTimeout, match=r"Login timed out: no sign-in completed within 0\.5"):
        await login.wait()
    assert port_closed(login.port)


async def test_cancel_during_the_login(
    world: World,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1))
    location = await _authorize(world, await login.start())
    waiting = asyncio.create_task(login.wait())
    await asyncio.sleep(0)
    login.cancel()
    with pytest.raises(LoginCancelled):
        await asyncio.wait_for(waiting, 30)
    assert port_closed(login.port)
    with pytest.raises(LoginCancelled):
        await login.complete_with_pasted(location)
    assert world.emu.counters(world.account.account_id)["code_exchanges"] == 0


async def test_paste_the_full_redirect_url(
    world: World,
    free_loopback_ports: Callable[[int], list[int]],
    port_closed: Callable[[int], bool],
) -> None:
    login = BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1))
    location = await _authorize(world, await login.start())
    result = await login.complete_with_pasted(f"  {location}\n")
    _assert_signed_in_as(result, world.account)
    assert await login.wait() is result
    assert port_closed(login.port)


async def test_paste_the_bare_code_without_listening(world: World) -> None:
    login = BrowserLogin(world.endpoints, world.http, ports=(1455, 1457), timeout=60)
    url = await login.start(listen=False)
    assert parse_qs(urlsplit(url).query)["redirect_uri"] == ["http://localhost:1455/auth/callback"]
    location = await _authorize(world, url)
    code = parse_qs(urlsplit(location).query)["code"][0]
    result = await login.complete_with_pasted(code)
    _assert_signed_in_as(result, world.account)
    (exchange,) = world.emu.requests_to("/oauth/token")
    assert exchange.body["redirect_uri"] == "http://localhost:1455/auth/callback"


async def test_pasted_url_with_a_foreign_state_is_refused(
    world: World, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    async with BrowserLogin(world.endpoints, world.http, ports=free_loopback_ports(1)) as login:
        location = await _authorize(world, await login.start())
        with pytest.raises(LoginError, match="State mismatch"):
            await login.complete_with_pasted(location.replace("state=", "state=x"))
        # the login is still open: the genuine redirect still completes it
        await world.http.get(location)
        _assert_signed_in_as(await login.wait(), world.account)


# --- device code -----------------------------------------------------------------------


async def test_device_code_login(world: World) -> None:
    world.emu.update_settings(device_auto_approve_after=None)
    device = DeviceLogin(world.endpoints, world.http, poll_interval=0.05)
    info = await device.start()
    assert info.verification_url == f"{world.endpoints.auth_url}/codex/device"
    assert info.interval == 0.05
    waiting = asyncio.create_task(device.wait())
    await asyncio.sleep(0.2)
    assert not waiting.done()  # still pending: nobody approved yet
    world.emu.approve_device(info.user_code, world.account.account_id)
    result = await asyncio.wait_for(waiting, 30)
    _assert_signed_in_as(result, world.account)
    exchange = [r for r in world.emu.requests_to("/oauth/token")][-1]
    assert exchange.body["redirect_uri"] == f"{world.endpoints.auth_url}/deviceauth/callback"
    assert world.emu.counters(world.account.account_id)["device_approvals"] == 1


async def test_device_code_uses_the_server_interval(world: World) -> None:
    device = DeviceLogin(world.endpoints, world.http)
    info = await device.start()
    assert info.interval == world.emu.settings.device_poll_interval
    _assert_signed_in_as(await asyncio.wait_for(device.wait(), 60), world.account)


async def test_device_code_cancel_and_timeout(world: World) -> None:
    world.emu.update_settings(device_auto_approve_after=None)
    device = DeviceLogin(world.endpoints, world.http, poll_interval=0.05)
    await device.start()
    waiting = asyncio.create_task(device.wait())
    await asyncio.sleep(0.1)
    device.cancel()
    with pytest.raises(LoginCancelled):
        await asyncio.wait_for(waiting, 30)

    slow = DeviceLogin(world.endpoints, world.http, timeout=0.3, poll_interval=0.05)
    await slow.start()
    with pytest.raises(LoginTimeout, match=r"within 0\.3 seconds"):
        await asyncio.wait_for(slow.wait(), 30)


# --- refresh ---------------------------------------------------------------------------


async def test_refresh_rotates_and_the_old_token_is_then_reused(world: World) -> None:
    issued = world.emu.issue_tokens(world.account.account_id)
    old = issued["refresh_token"]
    fresh = await refresh_tokens(world.http, world.endpoints, old, reason="proactive_expiry")
    assert fresh.refresh_token != old
    assert fresh.access_token != issued["access_token"]
    assert fresh.id_token
    assert fresh.last_refresh is not None
    assert fresh.expires_at == pytest.approx(fresh.last_refresh + 864000)

    (request,) = world.emu.requests_to("/oauth/token")
    assert request.body_encoding == "form"
    assert request.body["grant_type"] == "refresh_token"
    assert request.body["client_id"] == CLIENT_ID
    assert request.body["scope"] == "openid profile email"
    assert request.body["refresh_reason"] == "proactive_expiry"

    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, old)
    assert info.value.permanent
    assert info.value.code == "refresh_token_reused"
    assert info.value.status == 401
    assert old not in str(info.value)
    counters = world.emu.counters(world.account.account_id)
    assert (counters["refreshes"], counters["refresh_reused"]) == (1, 1)

    again = await refresh_tokens(world.http, world.endpoints, fresh.refresh_token)
    assert again.refresh_token not in {old, fresh.refresh_token}


async def test_refresh_asks_for_zstd_like_codex_0171_and_reads_the_compressed_answer(
    world: World,
) -> None:
    old = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    fresh = await refresh_tokens(world.http, world.endpoints, old, reason="proactive_expiry")
    assert fresh.refresh_token != old
    assert fresh.id_token

    with pytest.raises(RefreshError) as reused:
        await refresh_tokens(world.http, world.endpoints, old)
    assert (reused.value.permanent, reused.value.code) == (True, "refresh_token_reused")

    for request in world.emu.requests_to("/oauth/token"):
        assert request.headers["accept-encoding"] == "zstd,gzip"
        assert request.response_encoding == "zstd"


async def test_reused_answered_with_400_is_still_permanent(world: World) -> None:
    world.emu.update_settings(reused_status=400)
    old = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    await refresh_tokens(world.http, world.endpoints, old)
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, old)
    assert (info.value.permanent, info.value.code, info.value.status) == (
        True,
        "refresh_token_reused",
        400,
    )


async def test_revoked_refresh_token_is_permanent(world: World) -> None:
    token = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    world.emu.revoke_refresh_tokens(world.account.account_id)
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, token)
    assert info.value.permanent
    assert info.value.code == "refresh_token_invalidated"
    assert "revoked" in str(info.value)


async def test_expired_refresh_token_is_permanent(world: World) -> None:
    token = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    world.emu.expire_refresh_tokens(world.account.account_id)
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, token)
    assert (info.value.permanent, info.value.code) == (True, "refresh_token_expired")


async def test_unknown_refresh_token_is_permanent(world: World) -> None:
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, "rt_never_issued")
    assert info.value.permanent
    assert info.value.status == 401


async def test_deactivated_account_cannot_refresh(world: World) -> None:
    token = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    world.emu.deactivate(world.account.account_id)
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, token)
    assert info.value.permanent


async def test_server_error_is_transient_and_the_token_still_works(world: World) -> None:
    token = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    world.emu.script_token_faults([{"kind": "status", "status": 500}])
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, token)
    assert not info.value.permanent
    assert not info.value.ambiguous
    assert info.value.status == 500
    assert info.value.code == "temporary-failure"
    fresh = await refresh_tokens(world.http, world.endpoints, token)
    assert fresh.refresh_token != token


async def test_connection_dropped_after_rotation_is_ambiguous(world: World) -> None:
    token = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    world.emu.script_token_faults([{"kind": "drop", "after_rotate": True}])
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, token)
    assert info.value.ambiguous
    assert not info.value.permanent
    # Why a blind retry is wrong: the server did rotate, the old token is now spent.
    with pytest.raises(RefreshError) as retry:
        await refresh_tokens(world.http, world.endpoints, token)
    assert retry.value.code == "refresh_token_reused"


async def test_connection_dropped_before_processing_leaves_the_token_valid(world: World) -> None:
    token = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    world.emu.script_token_faults([{"kind": "drop", "after_rotate": False}])
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, token)
    assert info.value.ambiguous  # the client cannot tell the two drops apart
    await refresh_tokens(world.http, world.endpoints, token)


async def test_slow_answer_past_the_timeout_is_ambiguous(world: World) -> None:
    token = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    world.emu.script_token_faults([{"kind": "slow", "seconds": 5}])
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(world.http, world.endpoints, token, timeout=0.5)
    assert info.value.ambiguous
    assert "timed out" in str(info.value)


async def test_concurrent_refreshes_of_one_token_exactly_one_wins(world: World) -> None:
    token = world.emu.issue_tokens(world.account.account_id)["refresh_token"]
    outcomes = await asyncio.gather(
        refresh_tokens(world.http, world.endpoints, token),
        refresh_tokens(world.http, world.endpoints, token),
        return_exceptions=True,
    )
    wins = [o for o in outcomes if not isinstance(o, BaseException)]
    losses = [o for o in outcomes if isinstance(o, RefreshError)]
    assert len(wins) == 1
    assert len(losses) == 1
    assert losses[0].code == "refresh_token_reused"
