"""The rotation engine against the emulator on 127.0.0.1: real sockets, real SSE."""

from __future__ import annotations

import asyncio
import time

import pytest

from multicodex.rotation.engine import RotationEngine
from multicodex.rotation.models import (
    CompletionRequest,
    CompletionResult,
    PoolExhausted,
    RotationEvent,
    SwitchNotice,
    TextDeltas,
    UpstreamFailure,
    WaitNotice,
)
from support.rig import Rig

PROMPT = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]


def request(**kwargs: object) -> CompletionRequest:
    return CompletionRequest(model="gpt-5.5", input=PROMPT, **kwargs)  # type: ignore[arg-type]


async def run(
    engine: RotationEngine, req: CompletionRequest
) -> tuple[list[RotationEvent], CompletionResult]:
    events = [event async for event in engine.stream(req)]
    result = events[-1]
    assert isinstance(result, CompletionResult)
    return events, result


def texts(events: list[RotationEvent]) -> str:
    return "".join("".join(e.texts) for e in events if isinstance(e, TextDeltas))


async def test_quota_429_moves_to_the_next_account_and_cools_the_first_down(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    bob = rig.add("bob@example.test")
    resets_at = rig.emu.now() + 3 * 3600
    rig.emu.set_usage(alice.account_id or "", five_hour_used=100.0, five_hour_resets_at=resets_at)
    rig.emu.set_usage(bob.account_id or "", five_hour_used=50.0)
    # Alice's stored snapshot says she is fresh, so selection picks her first.
    engine = RotationEngine(rig.pool, rig.codex)

    events, result = await run(engine, request())

    assert result.account_key == bob.key
    assert "bob@example.test" in result.text
    assert result.text == texts(events)
    assert [s.to_key for s in result.switches] == [bob.key]
    assert "usage limit" in result.switches[0].reason
    assert any(isinstance(e, SwitchNotice) for e in events)
    cooled = rig.pool.get(alice.key)
    assert cooled.cooldown_until == pytest.approx(resets_at, abs=1)
    assert len(rig.emu.requests_to("/backend-api/codex/responses", alice.account_id)) == 1
    assert rig.pool.active == bob.key


async def test_expired_access_token_is_refreshed_once_then_served(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    rig.emu.expire_access_tokens(alice.account_id or "")
    engine = RotationEngine(rig.pool, rig.codex)

    _, result = await run(engine, request())

    assert result.account_key == alice.key
    counters = rig.emu.counters(alice.account_id or "")
    assert counters["refreshes"] == 1
    assert counters["refresh_reused"] == 0
    assert rig.pool.get(alice.key).tokens.refresh_token != alice.tokens.refresh_token


async def test_revoked_refresh_token_marks_needs_reauth_and_skips(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    bob = rig.add("bob@example.test")
    rig.emu.expire_access_tokens(alice.account_id or "")
    rig.emu.revoke_refresh_tokens(alice.account_id or "")
    engine = RotationEngine(rig.pool, rig.codex)

    _, result = await run(engine, request())

    assert result.account_key == bob.key
    broken = rig.pool.get(alice.key)
    assert broken.needs_reauth
    assert broken.reauth_reason
    _, again = await run(engine, request())
    assert again.account_key == bob.key
    assert rig.emu.counters(alice.account_id or "")["refreshes"] == 0


async def test_two_server_errors_then_success_is_served_on_the_same_account(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    rig.add("bob@example.test")
    rig.emu.script_faults(
        alice.account_id or "",
        [{"kind": "status", "status": 500}, {"kind": "status", "status": 502}],
    )
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    engine = RotationEngine(rig.pool, rig.codex, sleep=fake_sleep)

    _, result = await run(engine, request())

    assert result.account_key == alice.key
    assert len(rig.emu.requests_to("/backend-api/codex/responses", alice.account_id)) == 3
    assert len(slept) == 2 and slept[0] < slept[1]  # bounded exponential backoff


async def test_failure_after_output_is_surfaced_not_retried(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    bob = rig.add("bob@example.test")
    rig.emu.script_faults(alice.account_id or "", [{"kind": "drop_mid_stream", "after_deltas": 3}])
    engine = RotationEngine(rig.pool, rig.codex)
    seen: list[RotationEvent] = []

    with pytest.raises(UpstreamFailure) as raised:
        async for event in engine.stream(request()):
            seen.append(event)

    assert raised.value.after_output
    assert raised.value.account_name == "alice@example.test"
    deltas = [text for e in seen if isinstance(e, TextDeltas) for text in e.texts]
    assert len(deltas) == 3
    assert len(rig.emu.requests_to("/backend-api/codex/responses", alice.account_id)) == 1
    assert rig.emu.requests_to("/backend-api/codex/responses", bob.account_id) == []


async def test_bad_request_is_surfaced_and_never_rotated(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    bob = rig.add("bob@example.test")
    rig.emu.script_faults(
        alice.account_id or "",
        [{"kind": "status", "status": 400, "body": {"detail": "Instructions are required"}}],
    )
    engine = RotationEngine(rig.pool, rig.codex)

    with pytest.raises(UpstreamFailure) as raised:
        await run(engine, request())

    assert raised.value.failure.status == 400
    assert raised.value.failure.kind == "bad_request"
    assert not raised.value.after_output
    assert rig.emu.requests_to("/backend-api/codex/responses", bob.account_id) == []


async def test_conversation_sticks_to_one_account_then_moves_once(rig: Rig) -> None:
    alice = rig.add("alice@example.test", cost_percent=0.0)
    bob = rig.add("bob@example.test", cost_percent=0.0)
    rig.emu.set_usage(bob.account_id or "", five_hour_used=30.0)
    await rig.pool.refresh_all()
    engine = RotationEngine(rig.pool, rig.codex)
    conversation = "conv-123"
    history: list[dict[str, object]] = list(PROMPT)

    for _ in range(10):
        _, result = await run(
            engine,
            CompletionRequest(
                model="gpt-5.5",
                input=history,
                conversation_id=conversation,
                reasoning={"effort": "low", "summary": "auto"},
            ),
        )
        assert result.account_key == alice.key
        history = history + result.output

    turns = rig.emu.requests_to("/backend-api/codex/responses", alice.account_id)
    assert len(turns) == 10
    assert {t.session_id for t in turns} == {conversation}
    assert {t.prompt_cache_key for t in turns} == {conversation}
    assert any(item.get("type") == "reasoning" for item in history)

    rig.emu.set_usage(alice.account_id or "", weekly_used=100.0)
    events, moved = await run(
        engine,
        CompletionRequest(model="gpt-5.5", input=history, conversation_id=conversation),
    )

    assert moved.account_key == bob.key
    assert len(moved.switches) == 1
    assert moved.switches[0].from_key == alice.key
    assert any("encrypted reasoning" in r for r in moved.reasons)
    bob_turn = rig.emu.requests_to("/backend-api/codex/responses", bob.account_id)[-1]
    assert not any(item.get("type") == "reasoning" for item in bob_turn.body["input"])
    assert bob_turn.prompt_cache_key == conversation
    assert [e for e in events if isinstance(e, SwitchNotice)]


async def test_exhausted_pool_raises_typed_error_with_earliest_reset(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    bob = rig.add("bob@example.test")
    now = time.time()
    await rig.pool.set_cooldown(alice.key, now + 600, "test")
    await rig.pool.set_cooldown(bob.key, now + 300, "test")
    engine = RotationEngine(rig.pool, rig.codex)

    with pytest.raises(PoolExhausted) as raised:
        await run(engine, request())

    assert raised.value.earliest_reset == pytest.approx(now + 300)
    states = {a.key: a.state for a in raised.value.accounts}
    assert states == {alice.key: "cooldown", bob.key: "cooldown"}
    assert rig.emu.requests == []


async def test_wait_mode_resumes_when_the_window_resets(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    resets_at = float(int(rig.emu.now()) + 3)  # the backend speaks whole seconds
    rig.emu.set_usage(alice.account_id or "", five_hour_used=100.0, five_hour_resets_at=resets_at)
    engine = RotationEngine(rig.pool, rig.codex)

    events, result = await run(engine, request(wait_for_reset_seconds=30.0))

    waits = [e for e in events if isinstance(e, WaitNotice)]
    assert len(waits) == 1 and waits[0].until == pytest.approx(resets_at, abs=1)
    assert result.account_key == alice.key
    assert len(rig.emu.requests_to("/backend-api/codex/responses", alice.account_id)) == 2


async def test_cancellation_closes_the_upstream_stream(rig: Rig) -> None:
    alice = rig.add("alice@example.test")
    rig.emu.script_faults(
        alice.account_id or "", [{"kind": "stall", "after_deltas": 2, "seconds": 30}]
    )
    engine = RotationEngine(rig.pool, rig.codex)
    got_output = asyncio.Event()

    async def consume() -> None:
        async for event in engine.stream(request()):
            if isinstance(event, TextDeltas):
                got_output.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_output.wait(), timeout=10)
    cancelled_at = time.time()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    for _ in range(100):
        [recorded] = rig.emu.requests_to("/backend-api/codex/responses", alice.account_id)
        if recorded.client_disconnected:
            break
        await asyncio.sleep(0.05)
    assert recorded.client_disconnected
    assert recorded.finished_at is not None and recorded.finished_at - cancelled_at < 5
