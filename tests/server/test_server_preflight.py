"""The pre-flight through the real server: before a request, the start notice says when
this turn may use up the chosen account's room (what a turn costs comes from the recent
rises of its window), who is next, and when the whole pool may run out, its earliest
reset (as the start delta's ``until``) unless the request waits by itself."""

from __future__ import annotations

from typing import Any

from support.server_rig import STATUS, ServerRig, deltas_of, ready

COMPLETE = "multicodex/complete"
COST = 5.0


async def complete(rig: ServerRig, stream_id: str, **extra: Any) -> dict[str, Any]:
    """Run one completion; returns its start delta."""
    params = {"stream_id": stream_id, "model": "gpt-5.5", "prompt": "hi", **extra}
    await rig.client.request(COMPLETE, params)
    [start] = [d for d in deltas_of(rig.client, stream_id) if d["kind"] == "start"]
    return start


async def turns_on_alice(rig: ServerRig) -> tuple[dict[str, Any], dict[str, Any]]:
    """alice and bob, alice pinned, three turns on alice (a turn costs 5 %)."""
    alice, bob = await rig.seed("alice@example.test", "bob@example.test", cost_percent=COST)
    await rig.client.notification(STATUS, lambda s: all(a["usage"] for a in s["accounts"]))
    await rig.client.request("multicodex/accounts/use", {"key": alice["key"]})
    for turn in range(3):
        start = await complete(rig, f"warm-{turn}")
        assert start["text"] == "using alice@example.test"
        assert start["until"] is None
    return alice, bob


async def refresh(rig: ServerRig, account: dict[str, Any]) -> None:
    await rig.client.request("multicodex/accounts/refresh", {"key": account["key"]})


async def test_a_turn_that_may_use_up_the_account_says_so_and_who_is_next(
    server_rig: ServerRig,
) -> None:
    alice, _bob = await turns_on_alice(server_rig)
    server_rig.emu.set_usage(alice["account_id"], five_hour_used=97)
    await refresh(server_rig, alice)

    start = await complete(server_rig, "near")

    assert start["account"]["key"] == alice["key"]
    assert start["text"] == (
        "using alice@example.test; alice@example.test may reach its 5h limit during this "
        "turn (3% left, a turn uses about 5%); bob@example.test is next"
    )
    assert start["until"] is None


async def test_a_turn_that_may_use_up_the_pool_gives_its_earliest_reset(
    server_rig: ServerRig,
) -> None:
    alice, bob = await turns_on_alice(server_rig)
    now = server_rig.emu.now()
    server_rig.emu.set_usage(alice["account_id"], five_hour_used=97, five_hour_resets_at=now + 7200)
    server_rig.emu.set_usage(bob["account_id"], five_hour_used=99, five_hour_resets_at=now + 3600)
    await refresh(server_rig, alice)
    await refresh(server_rig, bob)

    start = await complete(server_rig, "pool-low")

    assert start["text"].startswith(
        "using alice@example.test; alice@example.test may reach its 5h limit during this "
        "turn (3% left, a turn uses about 5%), and the pool with it (4% left across the "
        "accounts); the earliest reset is "
    )
    assert abs(start["until"] - (now + 3600)) <= 1  # bob's: the wire says whole seconds

    waiting = await complete(server_rig, "pool-low-waits", wait_for_reset_seconds=600)
    assert "and the pool with it" in waiting["text"]
    assert "earliest reset" not in waiting["text"]
    assert waiting["until"] is None


async def test_without_any_recent_turn_nothing_is_said(server_rig: ServerRig) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    server_rig.emu.set_usage(alice["account_id"], five_hour_used=99)
    await refresh(server_rig, alice)

    start = await complete(server_rig, "first")

    assert start["text"] == "using alice@example.test"
