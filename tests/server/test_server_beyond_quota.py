"""Once every account's included quota is used up: by default nothing is ever spent; a
banked reset credit only with ``when_exhausted: reset-credit`` (asked in the editor
unless automatic), paid credits only with ``paid-credits``. Through the real server and
the emulator's own reset credits and paid credits."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from multicodex.protocol import ErrorCode
from support.rpc_client import RpcError
from support.server_rig import ServerRig, assert_no_tokens, deltas_of, start_server

COMPLETE = "multicodex/complete"
ROTATION_SET = "multicodex/rotation/set"
RESPONSES_PATH = "/backend-api/codex/responses"
CONSUME_PATH = "/backend-api/wham/rate-limit-reset-credits/consume"
HOUR = 3600.0
DAY = 24 * HOUR


async def exhausted_pair(rig: ServerRig, *, reset_credits: int = 1) -> list[dict[str, Any]]:
    """alice back in an hour, bob in three days; each holding ``reset_credits``."""
    alice, bob = await rig.seed("alice@example.test", "bob@example.test")
    now = rig.emu.now()
    rig.emu.set_usage(alice["account_id"], five_hour_used=100.0, five_hour_resets_at=now + HOUR)
    rig.emu.set_usage(bob["account_id"], weekly_used=100.0, weekly_resets_at=now + 3 * DAY)
    for account in (alice, bob):
        rig.emu.set_credits(account["account_id"], reset_credits=reset_credits)
    await rig.client.request("multicodex/accounts/refresh", {})  # what the pool knows now
    return [alice, bob]


async def ask(rig: ServerRig, stream_id: str) -> dict[str, Any]:
    params = {"stream_id": stream_id, "model": "gpt-5.5", "prompt": "hi"}
    return dict(await rig.client.request(COMPLETE, params))


async def policy(rig: ServerRig, **changes: Any) -> None:
    await rig.client.request(ROTATION_SET, changes)


def consumed_by(rig: ServerRig) -> list[str | None]:
    return [r.account_id for r in rig.emu.requests_to(CONSUME_PATH)]


async def test_by_default_no_reset_credit_is_spent_and_the_pool_is_exhausted(
    server_rig: ServerRig,
) -> None:
    alice, bob = await exhausted_pair(server_rig)

    with pytest.raises(RpcError) as exhausted:
        await ask(server_rig, "s-default")

    assert exhausted.value.code == ErrorCode.POOL_EXHAUSTED
    assert consumed_by(server_rig) == []
    assert server_rig.client.message_requests == []
    for account in (alice, bob):
        assert server_rig.emu.account(account["account_id"]).credits.reset_credits == 1
    info = await server_rig.client.request("multicodex/rotation/get", {})
    assert info["policy"]["when_exhausted"] == "wait"
    assert info["policy"]["reset_credit_confirm"] == "ask"
    assert any("never spends reset credits" in line for line in info["description"])


async def test_automatic_spends_one_credit_on_the_furthest_reset_and_serves_there(
    server_rig: ServerRig,
) -> None:
    alice, bob = await exhausted_pair(server_rig)
    await policy(server_rig, when_exhausted="reset-credit", reset_credit_confirm="automatic")

    result = await ask(server_rig, "s-auto")

    assert consumed_by(server_rig) == [bob["account_id"]]
    assert result["account"]["key"] == bob["key"]
    assert "spent 1 reset credit on bob@example.test" in "; ".join(result["selection_reasons"])
    assert server_rig.client.message_requests == []
    assert server_rig.emu.account(bob["account_id"]).credits.reset_credits == 0
    assert server_rig.emu.account(alice["account_id"]).credits.reset_credits == 1
    served = server_rig.emu.requests_to(RESPONSES_PATH, bob["account_id"])
    assert served[-1].status == 200


async def test_requests_meeting_the_exhausted_pool_together_spend_one_credit(
    server_rig: ServerRig,
) -> None:
    _alice, bob = await exhausted_pair(server_rig, reset_credits=3)
    await policy(server_rig, when_exhausted="reset-credit", reset_credit_confirm="automatic")

    results = await asyncio.gather(*(ask(server_rig, f"s-{n}") for n in range(3)))

    assert consumed_by(server_rig) == [bob["account_id"]]
    assert {r["account"]["key"] for r in results} == {bob["key"]}
    assert server_rig.emu.account(bob["account_id"]).credits.reset_credits == 2


async def test_two_server_processes_on_one_store_make_one_decision(
    server_rig: ServerRig, tmp_path: Path
) -> None:
    """Two editor windows: two server processes on one store meet the exhausted pool at
    once. The user, slow to answer, is asked in one window only; one credit is spent and
    the other window's request is served on the account it reset."""
    _alice, bob = await exhausted_pair(server_rig, reset_credits=3)
    await policy(server_rig, when_exhausted="reset-credit", reset_credit_confirm="ask")
    (tmp_path / "other").mkdir()
    home = server_rig.options["home"]
    other = await start_server(server_rig.emu, server_rig.base_url, tmp_path / "other", home=home)
    for window in (server_rig, other):
        window.client.message_choice = "Spend 1 reset credit on bob@example.test"
        window.client.message_answer_delay = 1.0
    try:
        results = await asyncio.gather(ask(server_rig, "s-window-1"), ask(other, "s-window-2"))
    finally:
        assert await other.client.stop() == 0, other.client.stderr()[-3000:]
    assert_no_tokens(other)

    assert consumed_by(server_rig) == [bob["account_id"]]
    assert len(server_rig.client.message_requests + other.client.message_requests) == 1
    assert [r["account"]["key"] for r in results] == [bob["key"], bob["key"]]
    assert server_rig.emu.account(bob["account_id"]).credits.reset_credits == 2


async def test_ask_spends_when_the_editor_answers_spend(server_rig: ServerRig) -> None:
    _alice, bob = await exhausted_pair(server_rig)
    await policy(server_rig, when_exhausted="reset-credit")
    server_rig.client.message_choice = "Spend 1 reset credit on bob@example.test"

    result = await ask(server_rig, "s-ask")

    [question] = server_rig.client.message_requests
    assert [a["title"] for a in question["actions"]] == [
        "Spend 1 reset credit on bob@example.test",
        "Wait",
    ]
    assert "bob@example.test holds 1 reset credit" in question["message"]
    assert consumed_by(server_rig) == [bob["account_id"]]
    assert result["account"]["key"] == bob["key"]


@pytest.mark.parametrize("choice", ["Wait", None], ids=["wait", "dismissed"])
async def test_ask_spends_nothing_when_the_editor_answers_wait_or_dismisses(
    server_rig: ServerRig, choice: str | None
) -> None:
    _alice, bob = await exhausted_pair(server_rig)
    await policy(server_rig, when_exhausted="reset-credit", reset_credit_confirm="ask")
    server_rig.client.message_choice = choice

    with pytest.raises(RpcError) as exhausted:
        await ask(server_rig, "s-wait")

    assert exhausted.value.code == ErrorCode.POOL_EXHAUSTED
    assert len(server_rig.client.message_requests) == 1
    assert consumed_by(server_rig) == []
    assert server_rig.emu.account(bob["account_id"]).credits.reset_credits == 1


async def test_paid_credits_serve_only_with_the_setting(server_rig: ServerRig) -> None:
    alice, bob = await exhausted_pair(server_rig, reset_credits=0)
    server_rig.emu.set_credits(alice["account_id"], has_credits=True, balance=5.0)
    await server_rig.client.request("multicodex/accounts/refresh", {"key": alice["key"]})

    with pytest.raises(RpcError) as exhausted:
        await ask(server_rig, "s-unpaid")
    assert exhausted.value.code == ErrorCode.POOL_EXHAUSTED
    assert all(r.status == 429 for r in server_rig.emu.requests_to(RESPONSES_PATH))

    await policy(server_rig, when_exhausted="paid-credits")
    result = await ask(server_rig, "s-paid")

    assert result["account"]["key"] == alice["key"]
    assert any("paid credits" in reason for reason in result["selection_reasons"])
    moves = [d for d in deltas_of(server_rig.client, "s-paid") if d["kind"] in ("start", "switch")]
    assert "paid credits" in moves[-1]["reason"]
    assert server_rig.emu.account(alice["account_id"]).credits.balance < 5.0
    assert consumed_by(server_rig) == []
    bob_answers = server_rig.emu.requests_to(RESPONSES_PATH, bob["account_id"])
    assert all(r.status == 429 for r in bob_answers)
