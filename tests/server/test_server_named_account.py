"""`multicodex/complete` with ``account_key`` serves that one account without pinning it,
and never falls back to another account when it cannot serve."""

from __future__ import annotations

from typing import Any

import pytest

from multicodex.protocol import ErrorCode
from support.rpc_client import RpcError
from support.server_rig import DELTA, ServerRig, deltas_of

COMPLETE = "multicodex/complete"
RESPONSES_PATH = "/backend-api/codex/responses"


async def ask(rig: ServerRig, stream_id: str, account_key: str) -> dict[str, Any]:
    params = {"stream_id": stream_id, "model": "gpt-5.5", "prompt": "hi"}
    return dict(await rig.client.request(COMPLETE, {**params, "account_key": account_key}))


async def test_a_named_account_serves_the_request_and_the_pin_stays(
    server_rig: ServerRig,
) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    client = server_rig.client
    await client.request("multicodex/accounts/use", {"key": alice["key"]})

    result = await ask(server_rig, "s-bob", bob["key"])

    assert result["account"] == {"key": bob["key"], "display_name": "bob@example.test"}
    assert result["switches"] == [] and result["attempts"] == 1
    start = deltas_of(client, "s-bob")[0]
    assert start["kind"] == "start" and start["account"]["key"] == bob["key"]
    requests = server_rig.emu.requests_to(RESPONSES_PATH)
    assert [r.account_id for r in requests] == [bob["account_id"]]
    listing = await client.request("multicodex/accounts/list", {})
    assert listing["pinned_key"] == alice["key"]
    assert listing["active"]["key"] == alice["key"] and listing["active"]["pinned"] is True


async def test_a_named_account_at_its_limit_fails_naming_it_and_no_other_is_tried(
    server_rig: ServerRig,
) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    server_rig.emu.set_usage(bob["account_id"], five_hour_used=100.0)

    with pytest.raises(RpcError) as exhausted:
        await ask(server_rig, "s-full", bob["key"])

    assert exhausted.value.code == ErrorCode.POOL_EXHAUSTED
    assert exhausted.value.message.startswith(
        "bob@example.test cannot serve this request now; the earliest reset is "
    )
    [state] = exhausted.value.data["accounts"]
    assert state["account"]["key"] == bob["key"] and state["state"] == "cooldown"
    requests = server_rig.emu.requests_to(RESPONSES_PATH)
    assert [(r.account_id, r.status) for r in requests] == [(bob["account_id"], 429)]
    assert not [d for d in server_rig.client.notifications(DELTA) if d["kind"] == "switch"]
    listing = await server_rig.client.request("multicodex/accounts/list", {})
    assert listing["pinned_key"] is None
    assert listing["active"]["key"] == alice["key"]


async def test_an_unknown_or_dead_named_account_fails_before_any_request(
    server_rig: ServerRig,
) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    with pytest.raises(RpcError) as unknown:
        await ask(server_rig, "s-eve", "eve|acct-eve")
    assert unknown.value.code == ErrorCode.ACCOUNT_NOT_FOUND
    assert unknown.value.data == {"key": "eve|acct-eve", "known_keys": [alice["key"], bob["key"]]}

    server_rig.emu.revoke_access_tokens(bob["account_id"])
    server_rig.emu.revoke_refresh_tokens(bob["account_id"])
    await server_rig.client.request("multicodex/accounts/refresh", {"key": bob["key"]})
    with pytest.raises(RpcError) as dead:
        await ask(server_rig, "s-dead", bob["key"])
    assert dead.value.code == ErrorCode.NEEDS_REAUTH
    assert dead.value.data["account"] == {"key": bob["key"], "display_name": "bob@example.test"}

    assert server_rig.emu.requests_to(RESPONSES_PATH) == []
