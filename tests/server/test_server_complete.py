"""multicodex/complete end to end: deltas strictly before the result, rotation on quota
with the status push that follows, cancellation, and every completion error."""

from __future__ import annotations

from typing import Any

import pytest

from multicodex_emulator import DropMidStreamFault, StallFault, StatusFault
from support.rpc_client import RpcClient, RpcError
from support.server_rig import ServerRig, deltas_of, ready

COMPLETE = "multicodex/complete"
DELTA = "multicodex/completion/delta"
STATUS = "multicodex/status"
RESPONSES = "/backend-api/codex/responses"


def position_of_response(client: RpcClient, msg_id: Any) -> int:
    return next(
        i
        for i, m in enumerate(client.messages)
        if m.get("id") == msg_id and "method" not in m and ("result" in m or "error" in m)
    )


def positions_of_deltas(client: RpcClient, stream_id: str) -> list[int]:
    return [
        i
        for i, m in enumerate(client.messages)
        if m.get("method") == DELTA and m["params"]["stream_id"] == stream_id
    ]


async def test_deltas_come_in_order_and_all_before_the_result(server_rig: ServerRig) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    client = server_rig.client

    msg_id = await client.send_request(
        COMPLETE, {"stream_id": "s-1", "model": "gpt-5.5", "prompt": "Say hi"}
    )
    result = (await client.response(msg_id))["result"]
    await client.request("multicodex/status/get")  # anything sent after the result is in now

    deltas = deltas_of(client, "s-1")
    assert [d["seq"] for d in deltas] == list(range(len(deltas)))
    assert deltas[0]["kind"] == "start"
    assert deltas[0]["account"]["key"] == alice["key"]
    assert deltas[0]["reason"] == "untouched"
    assert {d["kind"] for d in deltas[1:]} == {"text"}
    assert max(positions_of_deltas(client, "s-1")) < position_of_response(client, msg_id)
    assert result["deltas"] == len(deltas)
    assert result["text"] == "".join(d["text"] for d in deltas if d["kind"] == "text")
    assert result["text"].startswith("Hello from alice@example.test")
    assert result["account"] == {"key": alice["key"], "display_name": "alice@example.test"}
    assert result["status"] == "completed"
    assert result["switches"] == []
    assert result["attempts"] == 1
    assert result["usage"]["output_tokens"] > 0
    assert result["output_items"][-1]["type"] == "message"


async def test_quota_on_the_first_account_switches_and_a_status_names_the_new_one(
    server_rig: ServerRig,
) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    server_rig.emu.set_usage(alice["account_id"], five_hour_used=100.0)
    client = server_rig.client

    result = await client.request(COMPLETE, {"stream_id": "s-2", "model": "gpt-5.5", "prompt": "x"})

    deltas = deltas_of(client, "s-2")
    assert [d["kind"] for d in deltas[:2]] == ["start", "switch"]
    assert deltas[0]["account"]["key"] == alice["key"]
    switch = deltas[1]
    assert switch["from_account"]["key"] == alice["key"]
    assert switch["account"]["key"] == bob["key"]
    assert switch["text"] == "switched from alice@example.test to bob@example.test"
    assert "usage limit" in switch["reason"]
    assert result["account"]["key"] == bob["key"]
    assert [(s["from_account"]["key"], s["to_account"]["key"]) for s in result["switches"]] == [
        (alice["key"], bob["key"])
    ]
    assert result["attempts"] == 2
    status = await client.notification(
        STATUS, lambda s: s["active"] is not None and s["active"]["key"] == bob["key"]
    )
    cooled = next(a for a in status["accounts"] if a["key"] == alice["key"])
    assert cooled["state"] == "cooldown"
    assert "quota" in cooled["tags"]
    assert status["footer"]["text"].startswith("Codex · bob@example.test")


async def test_cancel_mid_stream_closes_the_upstream_and_answers_minus_32800(
    server_rig: ServerRig,
) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    server_rig.emu.script_faults(alice["account_id"], [StallFault(after_deltas=2, seconds=120)])
    client = server_rig.client

    msg_id = await client.send_request(
        COMPLETE, {"stream_id": "s-cancel", "model": "gpt-5.5", "prompt": "a long story"}
    )
    await client.wait_for(
        lambda: any(d["kind"] == "text" for d in deltas_of(client, "s-cancel")), 20, "a text delta"
    )
    await client.notify("$/cancelRequest", {"id": msg_id})
    response = await client.response(msg_id)

    assert response["error"]["code"] == -32800
    await client.wait_for(
        lambda: any(r.client_disconnected for r in server_rig.emu.requests_to(RESPONSES)),
        20,
        "the emulator to see the client go",
    )
    await client.request("multicodex/status/get")
    assert max(positions_of_deltas(client, "s-cancel")) < position_of_response(client, msg_id)
    listing = await client.request("multicodex/accounts/list")
    assert listing["accounts"][0]["state"] == "active", "a cancellation is no quota failure"


async def test_every_account_exhausted_fails_with_the_earliest_reset(
    server_rig: ServerRig,
) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    for account in (alice, bob):
        server_rig.emu.set_usage(account["account_id"], five_hour_used=100.0)

    with pytest.raises(RpcError) as failure:
        await server_rig.client.request(
            COMPLETE, {"stream_id": "s-3", "model": "gpt-5.5", "prompt": "x"}
        )

    assert failure.value.code == -32010
    data = failure.value.data
    assert data["earliest_reset"] is not None
    assert data["waited_seconds"] == 0
    assert {a["account"]["key"]: a["state"] for a in data["accounts"]} == {
        alice["key"]: "cooldown",
        bob["key"]: "cooldown",
    }
    assert min(a["until"] for a in data["accounts"]) == data["earliest_reset"]
    # A request writes an account's usage, then its cooldown: a status computed between the
    # two names that account the last resort. The settled one has no active account.
    status = await server_rig.client.notification(
        STATUS,
        lambda s: bool(s["accounts"]) and all(a["state"] == "cooldown" for a in s["accounts"]),
    )
    assert status["all_exhausted"]
    assert status["active"] is None
    assert status["earliest_reset"] == data["earliest_reset"]


async def test_a_short_wait_for_the_reset_is_announced_then_served(server_rig: ServerRig) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    resets_at = server_rig.emu.now() + 2
    server_rig.emu.set_usage(
        alice["account_id"], five_hour_used=100.0, five_hour_resets_at=resets_at
    )

    result = await server_rig.client.request(
        COMPLETE,
        {"stream_id": "s-wait", "model": "gpt-5.5", "prompt": "x", "wait_for_reset_seconds": 60},
    )

    kinds = [d["kind"] for d in deltas_of(server_rig.client, "s-wait")]
    notice = next(d for d in deltas_of(server_rig.client, "s-wait") if d["kind"] == "notice")
    assert kinds[0] == "start"
    assert notice["until"] == pytest.approx(resets_at, abs=1)
    assert result["account"]["key"] == alice["key"]
    assert result["text"]


async def test_no_accounts_offers_the_import_sources(server_rig: ServerRig) -> None:
    with pytest.raises(RpcError) as failure:
        await server_rig.client.request(
            COMPLETE, {"stream_id": "s-4", "model": "gpt-5.5", "prompt": "x"}
        )
    assert failure.value.code == -32011
    assert [s["kind"] for s in failure.value.data["import_sources"]] == [
        "codex-cli",
        "pi",
        "pi-multicodex",
    ]
    assert not deltas_of(server_rig.client, "s-4")


async def test_a_bad_request_is_not_rotated(server_rig: ServerRig) -> None:
    alice, _bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    refusal = StatusFault(status=400, body={"detail": "Instructions are required"})
    server_rig.emu.script_faults(alice["account_id"], [refusal])
    with pytest.raises(RpcError) as failure:
        await server_rig.client.request(
            COMPLETE, {"stream_id": "s-5", "model": "gpt-5.5", "prompt": "x"}
        )
    assert failure.value.code == -32020
    assert failure.value.data["status"] == 400
    assert failure.value.data["account"]["key"] == alice["key"]
    assert len(server_rig.emu.requests_to(RESPONSES)) == 1


async def test_a_failure_after_output_names_the_account(server_rig: ServerRig) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    server_rig.emu.script_faults(
        alice["account_id"], [DropMidStreamFault(after_deltas=3, mode="reset")]
    )
    with pytest.raises(RpcError) as failure:
        await server_rig.client.request(
            COMPLETE, {"stream_id": "s-6", "model": "gpt-5.5", "prompt": "x"}
        )
    assert failure.value.code == -32021
    assert "alice@example.test" in failure.value.message
    assert failure.value.data["account"]["key"] == alice["key"]
    sent = deltas_of(server_rig.client, "s-6")
    assert failure.value.data["deltas_sent"] == len(sent) > 1
    assert len(server_rig.emu.requests_to(RESPONSES)) == 1


async def test_input_items_tools_and_conversation_reach_the_backend(server_rig: ServerRig) -> None:
    await ready(server_rig, "alice@example.test")
    tool = {
        "type": "function",
        "name": "shell",
        "description": "Run a shell command",
        "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}},
    }
    items = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "ls"}]}]

    await server_rig.client.request(
        COMPLETE,
        {
            "stream_id": "s-7",
            "model": "gpt-5.5",
            "input": items,
            "tools": [tool],
            "conversation_id": "conv-1",
            "reasoning": {"effort": "low", "summary": "auto"},
        },
    )

    [sent] = server_rig.emu.requests_to(RESPONSES)
    assert sent.body["input"] == items
    assert sent.body["tools"] == [{**tool, "strict": False}]
    assert sent.body["tool_choice"] == "auto"
    assert sent.body["parallel_tool_calls"] is True
    assert sent.body["instructions"] == ""
    assert sent.body["store"] is False
    assert sent.body["stream"] is True
    assert sent.body["prompt_cache_key"] == "conv-1"
    assert sent.body["reasoning"] == {"effort": "low", "summary": "auto"}
    assert sent.body["include"] == ["reasoning.encrypted_content"]


async def test_a_stream_id_in_use_and_bad_input_are_invalid_params(
    server_rig: ServerRig,
) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    server_rig.emu.script_faults(alice["account_id"], [StallFault(after_deltas=1, seconds=120)])
    client = server_rig.client
    first = await client.send_request(
        COMPLETE, {"stream_id": "dup", "model": "gpt-5.5", "prompt": "x"}
    )
    await client.wait_for(lambda: deltas_of(client, "dup"), 20, "the first stream to start")

    with pytest.raises(RpcError) as in_use:
        await client.request(COMPLETE, {"stream_id": "dup", "model": "gpt-5.5", "prompt": "y"})
    with pytest.raises(RpcError) as both:
        await client.request(
            COMPLETE,
            {"stream_id": "s-8", "model": "gpt-5.5", "prompt": "x", "input": [{"type": "x"}]},
        )
    await client.notify("$/cancelRequest", {"id": first})

    assert in_use.value.code == -32602
    assert in_use.value.data["errors"] == [
        {"field": "stream_id", "message": "is already used by a running completion"}
    ]
    assert both.value.code == -32602
    assert "exactly one of 'input' or 'prompt'" in both.value.message
    assert (await client.response(first))["error"]["code"] == -32800


async def test_shutdown_cancels_a_running_completion_and_an_open_login(
    server_rig: ServerRig,
) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    server_rig.emu.script_faults(alice["account_id"], [StallFault(after_deltas=1, seconds=120)])
    client = server_rig.client
    running = await client.send_request(
        COMPLETE, {"stream_id": "s-down", "model": "gpt-5.5", "prompt": "x"}
    )
    await client.wait_for(lambda: deltas_of(client, "s-down"), 20, "the stream to start")
    login = await client.request("multicodex/login/start", {"open_browser": False})
    waiting = await client.send_request("multicodex/login/wait", {"login_id": login["login_id"]})

    assert await client.request("shutdown") is None

    assert (await client.response(running))["error"]["code"] == -32800
    assert (await client.response(waiting))["error"]["code"] in (-32800, -32042)
    await client.wait_for(
        lambda: any(r.client_disconnected for r in server_rig.emu.requests_to(RESPONSES)),
        20,
        "the emulator to see the client go",
    )
