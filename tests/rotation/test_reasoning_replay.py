"""Encrypted reasoning is replayed only on the account known to have made it: after a
restart (a new engine knows no conversation's account) a conversation that lands on another
account goes without it, instead of failing with the backend's invalid_encrypted_content."""

from __future__ import annotations

from typing import Any

from multicodex.rotation.engine import RotationEngine
from multicodex.rotation.models import CompletionRequest, CompletionResult
from support.rig import Rig

RESPONSES = "/backend-api/codex/responses"
QUESTION = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
FOLLOW_UP = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "and?"}]}


async def answer(engine: RotationEngine, history: list[dict[str, Any]]) -> CompletionResult:
    request = CompletionRequest(
        model="gpt-5.5",
        input=history,
        conversation_id="conv-r",
        reasoning={"effort": "low", "summary": "auto"},
    )
    events = [event async for event in engine.stream(request)]
    result = events[-1]
    assert isinstance(result, CompletionResult)
    return result


async def test_after_a_restart_reasoning_from_an_unknown_account_is_left_out(rig: Rig) -> None:
    alice = rig.add("alice@example.test", cost_percent=0.0)
    bob = rig.add("bob@example.test", cost_percent=0.0)
    rig.emu.set_usage(bob.account_id or "", five_hour_used=60.0)
    await rig.pool.refresh_all()
    first = await answer(RotationEngine(rig.pool, rig.codex), [QUESTION])
    assert first.account_key == alice.key
    assert any(item["type"] == "reasoning" for item in first.output)
    rig.emu.set_usage(bob.account_id or "", five_hour_used=0.0)
    rig.emu.set_usage(alice.account_id or "", five_hour_used=60.0)
    await rig.pool.refresh_all()

    restarted = RotationEngine(rig.pool, rig.codex)
    second = await answer(restarted, [QUESTION, *first.output, FOLLOW_UP])

    assert second.account_key == bob.key
    assert second.status == "completed"
    assert any("account that made it is not known" in r for r in second.reasons)
    [sent] = rig.emu.requests_to(RESPONSES, bob.account_id)
    assert sent.encrypted_reasoning == 0
    assert [i["type"] for i in sent.body["input"]] == ["message", "message", "message"]


async def test_the_conversations_own_account_gets_its_reasoning_back(rig: Rig) -> None:
    alice = rig.add("alice@example.test", cost_percent=0.0)
    engine = RotationEngine(rig.pool, rig.codex)
    first = await answer(engine, [QUESTION])
    replayed = [item for item in first.output if item["type"] == "reasoning"]

    second = await answer(engine, [QUESTION, *first.output, FOLLOW_UP])

    assert second.account_key == alice.key
    assert not any("encrypted reasoning" in r for r in second.reasons)
    sent = rig.emu.requests_to(RESPONSES, alice.account_id)[-1]
    assert sent.encrypted_reasoning == len(replayed) > 0
