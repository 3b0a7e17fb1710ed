"""The pre-flight goes to the clients that read it: a request of MultiCodex's own gets it
with its first attempt; a pass-through request (the proxy relays the backend's bytes
alone) is sent without it being worked out."""

from __future__ import annotations

from multicodex.history import Observation
from multicodex.model import StoredAccount
from multicodex.model.quota import GENERAL_BUCKET
from multicodex.rotation.engine import RotationEngine
from multicodex.rotation.models import AttemptStarted, CompletionRequest, PassThrough
from support.rig import Rig

PROMPT = [{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}]


async def nearly_used_up(rig: Rig) -> StoredAccount:
    """alice with 3 % of her 5h window left, where a turn has cost 5 %."""
    alice = rig.add("alice@example.test")
    rig.emu.set_usage(alice.account_id or "", five_hour_used=97.0)
    usage = await rig.pool.usage.get(alice.key, force=True)
    assert usage is not None
    window = usage.five_hour
    assert window is not None
    rig.pool.usage.history.recent.add(
        Observation(
            at=rig.pool.clock() - 60.0 * (3 - n),
            account=alice.key,
            bucket=GENERAL_BUCKET,
            window="5h",
            window_seconds=18_000,
            used_percent=82.0 + 5.0 * n,
            resets_at=window.resets_at,
            source="headers",
        )
        for n in range(4)
    )
    return alice


async def first_attempt(engine: RotationEngine, request: CompletionRequest) -> AttemptStarted:
    events = [event async for event in engine.stream(request)]
    return next(e for e in events if isinstance(e, AttemptStarted))


async def test_only_a_request_whose_client_reads_it_gets_the_preflight(rig: Rig) -> None:
    alice = await nearly_used_up(rig)
    engine = RotationEngine(rig.pool, rig.codex)
    body = {"model": "gpt-5.5", "input": PROMPT, "stream": True, "store": False}

    own = await first_attempt(engine, CompletionRequest(model="gpt-5.5", input=PROMPT))
    relayed = await first_attempt(
        engine,
        CompletionRequest(model="gpt-5.5", input=PROMPT, passthrough=PassThrough(body=body)),
    )

    assert own.account_key == relayed.account_key == alice.key
    assert own.preflight is not None
    assert "alice@example.test may reach its 5h limit during this turn" in own.preflight.text
    assert relayed.preflight is None
