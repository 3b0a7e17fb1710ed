"""multicodex/complete end to end when the backend goes quiet: a stream that has not started
answering within the idle limit moves to another account (the client is told with a
notice), and a silence after output ends the request with UPSTREAM_FAILED_AFTER_OUTPUT."""

from __future__ import annotations

from typing import Any

import pytest

from multicodex_emulator import RecordedRequest, StallFault
from support.rpc_client import RpcError
from support.server_rig import ServerRig, deltas_of, ready

COMPLETE = "multicodex/complete"
DELTA = "multicodex/completion/delta"
STATUS = "multicodex/status"
RESPONSES = "/backend-api/codex/responses"
IDLE_LIMIT = 2
"""Seconds: short for the test, long enough for a loaded machine to start an answer."""
EMULATED_SILENCE = 60.0
"""Longer than any wait of these tests: only MultiCodex's idle limit can end it."""


async def set_rotation(rig: ServerRig, **changes: Any) -> dict[str, Any]:
    info = await rig.client.request("multicodex/rotation/set", {**changes, "persist": False})
    return dict(info["policy"])


async def closed_by_the_client(rig: ServerRig, account_id: str) -> RecordedRequest:
    """The account's one request, once the emulator has seen the client close it (the
    request log hands out copies: each look is a fresh one)."""

    def closed() -> RecordedRequest | None:
        [request] = rig.emu.requests_to(RESPONSES, account_id)
        return request if request.client_disconnected else None

    found: RecordedRequest = await rig.client.wait_for(
        closed, 20, "the emulator to see the stalled stream closed"
    )
    return found


async def test_a_silent_start_moves_to_the_next_account_with_a_notice(
    server_rig: ServerRig,
) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    policy = await set_rotation(server_rig, first_output_timeout_seconds=IDLE_LIMIT)
    assert policy["first_output_timeout_seconds"] == IDLE_LIMIT
    server_rig.emu.script_faults(
        alice["account_id"], [StallFault(before_first_event=True, seconds=EMULATED_SILENCE)]
    )

    result = await server_rig.client.request(
        COMPLETE, {"stream_id": "s-silent", "model": "gpt-5.5", "prompt": "x"}
    )

    assert result["account"]["key"] == bob["key"]
    assert result["text"].startswith("Hello from bob@example.test")
    deltas = deltas_of(server_rig.client, "s-silent")
    assert [d["kind"] for d in deltas[:3]] == ["start", "notice", "switch"]
    assert {d["kind"] for d in deltas[3:]} == {"text"}
    notice = deltas[1]
    assert notice["text"] == (
        f"alice@example.test has not answered for {IDLE_LIMIT} s; trying bob@example.test"
    )
    assert notice["reason"] == f"no answer from the backend within {IDLE_LIMIT} s"
    assert notice["account"]["key"] == alice["key"]
    assert deltas[2]["from_account"]["key"] == alice["key"]
    assert deltas[2]["account"]["key"] == bob["key"]
    assert "no answer from the backend" in deltas[2]["reason"]
    assert [r.status for r in server_rig.emu.requests_to(RESPONSES, bob["account_id"])] == [200]
    stalled = await closed_by_the_client(server_rig, alice["account_id"])
    assert (stalled.deltas_sent, stalled.terminal_event) == (0, None)


async def test_a_silence_after_output_ends_the_request_with_a_clear_error(
    server_rig: ServerRig,
) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    await set_rotation(server_rig, stall_timeout_seconds=IDLE_LIMIT)
    server_rig.emu.script_faults(
        alice["account_id"], [StallFault(after_deltas=3, seconds=EMULATED_SILENCE)]
    )

    with pytest.raises(RpcError) as failure:
        await server_rig.client.request(
            COMPLETE, {"stream_id": "s-quiet", "model": "gpt-5.5", "prompt": "x"}
        )

    assert failure.value.code == -32021
    assert failure.value.message == (
        f"the backend stopped sending for {IDLE_LIMIT} s after the answer from "
        "alice@example.test had started; the partial answer is above"
    )
    data = failure.value.data
    assert data["account"]["key"] == alice["key"]
    assert data["kind"] == "transient"
    deltas = deltas_of(server_rig.client, "s-quiet")
    assert [d["kind"] for d in deltas] == ["start", "text", "text", "text"]
    assert data["deltas_sent"] == len(deltas)
    assert server_rig.emu.requests_to(RESPONSES, bob["account_id"]) == []
    stalled = await closed_by_the_client(server_rig, alice["account_id"])
    assert stalled.deltas_sent == 3


async def test_a_stall_after_the_answer_started_but_before_output_is_retried_elsewhere(
    server_rig: ServerRig,
) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    await set_rotation(server_rig, stall_timeout_seconds=IDLE_LIMIT)
    server_rig.emu.script_faults(
        alice["account_id"], [StallFault(after_deltas=0, seconds=EMULATED_SILENCE)]
    )

    result = await server_rig.client.request(
        COMPLETE, {"stream_id": "s-think", "model": "gpt-5.5", "prompt": "x"}
    )

    assert result["account"]["key"] == bob["key"]
    notice = next(d for d in deltas_of(server_rig.client, "s-think") if d["kind"] == "notice")
    assert notice["text"] == (
        f"alice@example.test stopped sending for {IDLE_LIMIT} s before any output; "
        "trying bob@example.test"
    )


async def test_a_single_stalled_account_is_tried_again(server_rig: ServerRig) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    await set_rotation(server_rig, first_output_timeout_seconds=IDLE_LIMIT)
    server_rig.emu.script_faults(
        alice["account_id"], [StallFault(before_first_event=True, seconds=EMULATED_SILENCE)]
    )

    result = await server_rig.client.request(
        COMPLETE, {"stream_id": "s-again", "model": "gpt-5.5", "prompt": "x"}
    )

    assert result["account"]["key"] == alice["key"]
    notice = next(d for d in deltas_of(server_rig.client, "s-again") if d["kind"] == "notice")
    assert notice["text"] == f"alice@example.test has not answered for {IDLE_LIMIT} s; trying again"
    assert len(server_rig.emu.requests_to(RESPONSES, alice["account_id"])) == 2


async def test_the_idle_limits_are_rotation_settings(server_rig: ServerRig) -> None:
    info = await server_rig.client.request("multicodex/rotation/get")
    assert info["policy"]["first_output_timeout_seconds"] == 20
    assert info["policy"]["stall_timeout_seconds"] == 120
    assert "within 20 seconds" in info["description"][4]

    with pytest.raises(RpcError) as refused:
        await server_rig.client.request("multicodex/rotation/set", {"stall_timeout_seconds": 0})
    assert refused.value.code == -32602
    assert refused.value.data["errors"][0]["field"] == "stall_timeout_seconds"
