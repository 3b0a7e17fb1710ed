"""Logins through the server, with the test playing the editor and the browser: it gets
window/showDocument, opens the authorize URL without following the redirect, then opens
the callback the authorization server redirected to."""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx2
import pytest

from support.idle_clients import IdleClients
from support.rpc_client import RpcError
from support.server_rig import ServerRig

START = "multicodex/login/start"
WAIT = "multicodex/login/wait"
PASTE = "multicodex/login/paste"
CANCEL = "multicodex/login/cancel"
PROGRESS = "multicodex/login/progress"
STATUS = "multicodex/status"


async def authorize(url: str) -> str:
    """What the browser does at the authorization server: the redirect's Location."""
    async with httpx2.AsyncClient(timeout=15.0) as http:
        answer = await http.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["location"])


async def open_callback(location: str) -> httpx2.Response:
    """The browser following the redirect to the loopback callback (bound on 127.0.0.1)."""
    parts = urlsplit(location)
    loopback = parts._replace(netloc=f"127.0.0.1:{parts.port}")
    async with httpx2.AsyncClient(timeout=15.0) as http:
        return await http.get(urlunsplit(loopback))


def port_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


async def expect_error(rig: ServerRig, msg_id: Any) -> dict[str, Any]:
    response = await rig.client.response(msg_id)
    assert "error" in response, response
    return dict(response["error"])


async def test_browser_login_played_by_the_editor(server_rig: ServerRig) -> None:
    carol = server_rig.emu.add_account(email="carol@example.test", plan="team")
    server_rig.emu.authorize_as(carol.account_id)
    client = server_rig.client
    port = server_rig.options["callback_ports"][0]

    start = await client.request(START, {"label": "Carol (work)", "pin": True})
    waiting = await client.send_request(WAIT, {"login_id": start["login_id"]})
    shown = await client.wait_for(lambda: client.shown_documents, 15, "window/showDocument")
    page = await open_callback(await authorize(shown[0]))
    result = (await client.response(waiting))["result"]

    assert start["method"] == "browser"
    assert start["redirect_uri"] == f"http://localhost:{port}/auth/callback"
    assert start["callback_listening"] is True
    assert start["browser_open_requested"] is True
    assert start["user_code"] is None
    assert shown == [start["authorize_url"]]
    assert page.status_code == 200
    assert "Signed in" in page.text
    assert result["outcome"] == "added"
    assert result["pinned"] is True
    assert result["account"]["display_name"] == "Carol (work)"
    assert result["account"]["email"] == "carol@example.test"
    assert result["account"]["source"] == {"kind": "login", "path": None, "linked": False}
    stages = [p["stage"] for p in client.notifications(PROGRESS)]
    assert stages == ["waiting_for_browser", "exchanging_code", "saving"]
    status = await client.notification(
        STATUS, lambda s: s["active"] is not None and s["active"]["pinned"]
    )
    assert status["active"]["display_name"] == "Carol (work)"
    assert port_closed(port)


async def test_stray_hits_on_the_callback_leave_the_login_waiting(server_rig: ServerRig) -> None:
    heidi = server_rig.emu.add_account(email="heidi@example.test")
    server_rig.emu.authorize_as(heidi.account_id)
    client = server_rig.client
    port = server_rig.options["callback_ports"][0]
    callback = f"http://localhost:{port}/auth/callback"

    start = await client.request(START, {"open_browser": False})
    waiting = await client.send_request(WAIT, {"login_id": start["login_id"]})
    stray = [
        await open_callback(f"{callback}?code=ac_elsewhere&state=another-login"),
        await open_callback(callback),
        await open_callback(f"{callback}?error=access_denied&state=another-login"),
        await open_callback(f"http://localhost:{port}/favicon.ico"),
    ]
    page = await open_callback(await authorize(start["authorize_url"]))
    result = (await client.response(waiting))["result"]

    assert [answer.status_code for answer in stray] == [400, 400, 400, 404]
    assert "still waiting" in stray[0].text
    assert page.status_code == 200
    assert result["outcome"] == "added"
    assert result["account"]["email"] == "heidi@example.test"
    stages = [p["stage"] for p in client.notifications(PROGRESS)]
    assert stages == ["waiting_for_browser", "exchanging_code", "saving"]


async def test_silent_connections_to_the_callback_do_not_keep_the_redirect_out(
    server_rig: ServerRig,
) -> None:
    ivan = server_rig.emu.add_account(email="ivan@example.test")
    server_rig.emu.authorize_as(ivan.account_id)
    client = server_rig.client
    idle = IdleClients()

    start = await client.request(START, {"open_browser": False})
    waiting = await client.send_request(WAIT, {"login_id": start["login_id"]})
    try:
        await idle.open(server_rig.options["callback_ports"][0], 200)
        page = await open_callback(await authorize(start["authorize_url"]))
        result = (await client.response(waiting))["result"]
    finally:
        idle.close()

    assert page.status_code == 200
    assert result["outcome"] == "added"
    assert result["account"]["email"] == "ivan@example.test"


async def test_reauth_repairs_the_account_and_keeps_its_identity(server_rig: ServerRig) -> None:
    [alice] = await server_rig.seed("alice@example.test")
    server_rig.emu.revoke_access_tokens(alice["account_id"])
    server_rig.emu.revoke_refresh_tokens(alice["account_id"])
    await server_rig.client.request("multicodex/accounts/refresh", {"key": alice["key"]})
    server_rig.emu.authorize_as(alice["account_id"])
    client = server_rig.client

    start = await client.request(START, {"reauth": alice["key"], "open_browser": False})
    waiting = await client.send_request(WAIT, {"login_id": start["login_id"]})
    await open_callback(await authorize(start["authorize_url"]))
    result = (await client.response(waiting))["result"]

    assert start["reauth"] == {"key": alice["key"], "display_name": "alice@example.test"}
    assert start["browser_open_requested"] is False
    assert client.shown_documents == []
    assert result["outcome"] == "reauthenticated"
    assert result["account"]["key"] == alice["key"]
    assert result["account"]["state"] != "needs_reauth"
    assert result["account"]["reauth_reason"] is None
    listing = await client.request("multicodex/accounts/list")
    assert [a["key"] for a in listing["accounts"]] == [alice["key"]]


async def test_reauth_that_signs_in_as_someone_else_saves_nothing(server_rig: ServerRig) -> None:
    [alice] = await server_rig.seed("alice@example.test")
    mallory = server_rig.emu.add_account(email="mallory@example.test")
    server_rig.emu.authorize_as(mallory.account_id)
    client = server_rig.client

    start = await client.request(START, {"reauth": alice["key"], "open_browser": False})
    waiting = await client.send_request(WAIT, {"login_id": start["login_id"]})
    await open_callback(await authorize(start["authorize_url"]))
    error = await expect_error(server_rig, waiting)

    assert error["code"] == -32040
    assert error["data"]["reason"] == "identity_mismatch"
    assert error["data"]["pending"] is False
    listing = await client.request("multicodex/accounts/list")
    assert [a["key"] for a in listing["accounts"]] == [alice["key"]]


async def test_a_pasted_redirect_finishes_the_login_and_bad_pastes_keep_it_open(
    server_rig: ServerRig,
) -> None:
    dave = server_rig.emu.add_account(email="dave@example.test")
    server_rig.emu.authorize_as(dave.account_id)
    client = server_rig.client

    start = await client.request(START, {"open_browser": False})
    waiting = await client.send_request(WAIT, {"login_id": start["login_id"]})
    location = await authorize(start["authorize_url"])
    wrong_state = await client.send_request(
        PASTE, {"login_id": start["login_id"], "text": "ac_fake#not-the-state"}
    )
    empty = await client.send_request(PASTE, {"login_id": start["login_id"], "text": ""})
    mismatch = await expect_error(server_rig, wrong_state)
    invalid = await expect_error(server_rig, empty)
    pasted = await client.request(PASTE, {"login_id": start["login_id"], "text": location})
    waited = (await client.response(waiting))["result"]

    assert mismatch["code"] == -32040
    assert mismatch["data"]["reason"] == "state_mismatch"
    assert mismatch["data"]["pending"] is True
    assert invalid["code"] == -32602
    assert invalid["data"]["errors"][0]["field"] == "text"
    assert pasted["outcome"] == "added"
    assert pasted["account"]["email"] == "dave@example.test"
    assert waited == pasted


async def test_a_refused_sign_in_fails_the_login(server_rig: ServerRig) -> None:
    server_rig.emu.add_account(email="erin@example.test")
    server_rig.emu.deny_next_authorize()
    client = server_rig.client

    start = await client.request(START, {"open_browser": False})
    waiting = await client.send_request(WAIT, {"login_id": start["login_id"]})
    page = await open_callback(await authorize(start["authorize_url"]))
    error = await expect_error(server_rig, waiting)

    assert page.status_code == 400
    assert error["code"] == -32040
    assert error["data"]["reason"] == "no_entitlement"
    assert error["data"]["pending"] is False


async def test_cancel_ends_every_wait_and_the_outcome_is_kept(server_rig: ServerRig) -> None:
    client = server_rig.client
    start = await client.request(START, {"open_browser": False})
    login_id = start["login_id"]
    waiting = await client.send_request(WAIT, {"login_id": login_id})
    await client.wait_for(lambda: client.notifications(PROGRESS), 15, "waiting progress")

    first = await client.request(CANCEL, {"login_id": login_id})
    error = await expect_error(server_rig, waiting)
    second = await client.request(CANCEL, {"login_id": login_id})
    late = await client.send_request(WAIT, {"login_id": login_id})

    assert first == {"login_id": login_id, "cancelled": True}
    assert error == {
        "code": -32042,
        "message": "The login was cancelled",
        "data": {"login_id": login_id},
    }
    assert second == {"login_id": login_id, "cancelled": False}
    assert (await expect_error(server_rig, late))["code"] == -32042
    assert port_closed(server_rig.options["callback_ports"][0])
    for method, params in (
        (WAIT, {"login_id": "login-nope"}),
        (PASTE, {"login_id": "login-nope", "text": "x"}),
        (CANCEL, {"login_id": "login-nope"}),
    ):
        with pytest.raises(RpcError) as unknown:
            await client.request(method, params)
        assert unknown.value.code == -32043
        assert unknown.value.data == {"login_id": "login-nope"}


async def test_cancelling_the_wait_cancels_the_login(server_rig: ServerRig) -> None:
    client = server_rig.client
    start = await client.request(START, {"open_browser": False})
    waiting = await client.send_request(WAIT, {"login_id": start["login_id"]})
    await client.wait_for(lambda: client.notifications(PROGRESS), 15, "waiting progress")

    await client.notify("$/cancelRequest", {"id": waiting})

    assert (await expect_error(server_rig, waiting))["code"] == -32800
    again = await client.send_request(WAIT, {"login_id": start["login_id"]})
    assert (await expect_error(server_rig, again))["code"] == -32042
    assert port_closed(server_rig.options["callback_ports"][0])


async def test_a_newer_browser_login_cancels_the_older_one(server_rig: ServerRig) -> None:
    frank = server_rig.emu.add_account(email="frank@example.test")
    server_rig.emu.authorize_as(frank.account_id)
    client = server_rig.client

    older = await client.request(START, {"open_browser": False})
    older_wait = await client.send_request(WAIT, {"login_id": older["login_id"]})
    newer = await client.request(START, {"open_browser": False})
    newer_wait = await client.send_request(WAIT, {"login_id": newer["login_id"]})
    await open_callback(await authorize(newer["authorize_url"]))

    assert (await expect_error(server_rig, older_wait))["code"] == -32042
    assert (await client.response(newer_wait))["result"]["outcome"] == "added"


async def test_device_login(server_rig: ServerRig) -> None:
    grace = server_rig.emu.add_account(email="grace@example.test")
    server_rig.emu.authorize_as(grace.account_id)
    client = server_rig.client

    start = await client.request(START, {"method": "device"})
    result = await client.request(WAIT, {"login_id": start["login_id"]})

    assert start["method"] == "device"
    assert start["user_code"]
    assert start["verification_url"] == f"{server_rig.base_url}/codex/device"
    assert start["authorize_url"] is None
    assert start["callback_listening"] is False
    assert client.shown_documents == [start["verification_url"]]
    assert result["outcome"] == "added"
    assert result["account"]["email"] == "grace@example.test"
    assert client.notifications(PROGRESS)[0]["stage"] == "waiting_for_device"


async def test_login_start_refuses_unknown_accounts_and_bad_params(server_rig: ServerRig) -> None:
    with pytest.raises(RpcError) as unknown:
        await server_rig.client.request(START, {"reauth": "nobody|none"})
    with pytest.raises(RpcError) as too_short:
        await server_rig.client.request(START, {"timeout_seconds": 5})
    with pytest.raises(RpcError) as bad_method:
        await server_rig.client.request(START, {"method": "carrier-pigeon"})

    assert unknown.value.code == -32030
    assert too_short.value.code == -32602
    assert too_short.value.data["errors"][0]["field"] == "timeout_seconds"
    assert bad_method.value.data["errors"][0]["field"] == "method"
