"""The usage history and the threshold notices through the real server over stdio:
multicodex/usage/history holds what a wham/usage fetch and an answer's headers said, with
its since and account filters; several servers writing it at once lose nothing;
multicodex/usage/notice comes once per threshold crossed, again only after use fell below
it by the margin, never again after a restart; the thresholds are set and validated by
multicodex/usage/notices/set."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from multicodex_emulator import Emulator
from support.rpc_client import RpcClient, RpcError
from support.server_rig import STATUS, ServerRig, assert_no_tokens, ready, start_server

COMPLETE = "multicodex/complete"
HISTORY = "multicodex/usage/history"
NOTICE = "multicodex/usage/notice"
NOTICES_GET = "multicodex/usage/notices/get"
NOTICES_SET = "multicodex/usage/notices/set"
INVALID_PARAMS = -32602
POLLS = 100
"""The history is written by a background thread: how many times a test looks again."""


async def history(client: RpcClient, **params: Any) -> list[dict[str, Any]]:
    result = await client.request(HISTORY, params)
    rows: list[dict[str, Any]] = result["observations"]
    return rows


async def history_until(
    client: RpcClient, enough: Callable[[list[dict[str, Any]]], bool], **params: Any
) -> list[dict[str, Any]]:
    """The history once ``enough`` holds (bounded: the writer thread may lag a little)."""
    rows: list[dict[str, Any]] = []
    for _ in range(POLLS):
        rows = await history(client, **params)
        if enough(rows):
            return rows
        await asyncio.sleep(0.05)
    raise AssertionError(f"the history never got there: {rows}")


async def complete(client: RpcClient, stream_id: str) -> dict[str, Any]:
    params = {"stream_id": stream_id, "model": "gpt-5.5", "prompt": "hi"}
    result: dict[str, Any] = await client.request(COMPLETE, params)
    return result


async def usage_is(rig: ServerRig, account: dict[str, Any], **usage: float) -> None:
    """Move the account's use at the backend and have the server fetch it."""
    rig.emu.set_usage(account["account_id"], **usage)
    await rig.client.request("multicodex/accounts/refresh", {"key": account["key"]})


def thresholds_of(client: RpcClient, window: str) -> list[int]:
    return [n["threshold"] for n in client.notifications(NOTICE) if n["window"] == window]


async def notice_for(client: RpcClient, window: str, threshold: int) -> dict[str, Any]:
    return await client.notification(
        NOTICE, lambda n: n["window"] == window and n["threshold"] == threshold
    )


async def alongside(emu: Emulator, base_url: str, root: Path, name: str) -> ServerRig:
    """Another server process on the store of the one started in ``root``."""
    own = root / name
    own.mkdir()
    return await start_server(emu, base_url, own, home=str(root / "store"))


# -- the history ---------------------------------------------------------------------------


async def test_history_holds_a_fetch_and_an_answers_headers_filtered_by_since_and_account(
    server_rig: ServerRig,
) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    await server_rig.client.notification(
        STATUS, lambda s: all(a["usage"] is not None for a in s["accounts"])
    )
    await server_rig.client.request("multicodex/accounts/use", {"key": alice["key"]})
    fetched = await history_until(
        server_rig.client, lambda rows: {r["account"] for r in rows} == {alice["key"], bob["key"]}
    )
    assert {r["source"] for r in fetched} == {"endpoint"}
    assert {r["window"] for r in fetched} == {"5h", "weekly"}

    mark = time.time()
    answered = await complete(server_rig.client, "one")
    assert answered["account"]["key"] == alice["key"]

    everything = await history_until(
        server_rig.client, lambda rows: any(r["source"] == "headers" for r in rows)
    )
    headers = [r for r in everything if r["source"] == "headers"]
    assert {(r["account"], r["window"]) for r in headers} == {
        (alice["key"], "5h"),
        (alice["key"], "weekly"),
    }
    assert all(r["bucket"] == "codex" and r["used_percent"] == 0 for r in headers)

    since = await history(server_rig.client, since=mark)
    assert {r["source"] for r in since} == {"headers"}
    assert {r["account"] for r in since} == {alice["key"]}

    only_bob = await history(server_rig.client, account="bob@example.test")
    assert only_bob and {r["account"] for r in only_bob} == {bob["key"]}
    assert {r["source"] for r in only_bob} == {"endpoint"}
    with pytest.raises(RpcError) as unknown:
        await history(server_rig.client, account="nobody@example.test")
    assert unknown.value.code == -32030


async def test_several_servers_completing_at_once_lose_no_observation(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    turns_each = 4
    async with server_emulator.serve() as base_url:
        first = await start_server(server_emulator, base_url, tmp_path)
        await ready(first, "alice@example.test", "bob@example.test")
        others = [
            await alongside(server_emulator, base_url, tmp_path, f"other-{n}") for n in range(2)
        ]
        servers = [first, *others]
        started = time.time()
        try:

            async def turns(rig: ServerRig, name: str) -> None:
                for turn in range(turns_each):
                    await complete(rig.client, f"{name}-{turn}")

            await asyncio.gather(*(turns(r, f"s{n}") for n, r in enumerate(servers)))
        finally:
            for rig in servers:
                assert await rig.client.stop() == 0, rig.client.stderr()[-3000:]
                assert_no_tokens(rig)

        reader = await alongside(server_emulator, base_url, tmp_path, "reader")
        try:
            rows = await history(reader.client, since=started)
        finally:
            assert await reader.client.stop() == 0

    headers = [r for r in rows if r["source"] == "headers"]
    answers = len(servers) * turns_each
    assert len(headers) == 2 * answers  # the 5h and the weekly window of every answer
    assert {r["window"] for r in headers} == {"5h", "weekly"}


# -- threshold notices -----------------------------------------------------------------------


async def test_a_threshold_is_announced_once_and_again_after_falling_below_the_margin(
    server_rig: ServerRig,
) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    client = server_rig.client

    await usage_is(server_rig, alice, five_hour_used=81)
    crossed = await notice_for(client, "5h", 80)
    assert crossed["scope"] == "account"
    assert crossed["account"]["key"] == alice["key"]
    assert crossed["used_percent"] == 81
    assert crossed["message"].startswith("alice@example.test has used 81% of its 5h window")

    await complete(client, "after-80")  # its headers say 81 again: nothing new
    await usage_is(server_rig, alice, five_hour_used=77)  # below 80, not below 75
    await usage_is(server_rig, alice, five_hour_used=82)
    await usage_is(server_rig, alice, five_hour_used=96)
    await notice_for(client, "5h", 95)  # every check before this one has run
    assert thresholds_of(client, "5h") == [80, 95]

    await usage_is(server_rig, alice, five_hour_used=70)  # below 75: both re-armed
    await usage_is(server_rig, alice, five_hour_used=85)
    await notice_for(client, "5h", 80)
    await usage_is(server_rig, alice, weekly_used=81)  # a barrier: the weekly window's own
    await notice_for(client, "weekly", 80)
    assert thresholds_of(client, "5h") == [80, 95, 80]


async def test_a_restart_does_not_announce_a_threshold_again(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    async with server_emulator.serve() as base_url:
        first = await start_server(server_emulator, base_url, tmp_path)
        try:
            [alice] = await ready(first, "alice@example.test")
            await usage_is(first, alice, five_hour_used=83)
            await notice_for(first.client, "5h", 80)
        finally:
            assert await first.client.stop() == 0

        again = await alongside(server_emulator, base_url, tmp_path, "again")
        try:
            again.emu.set_usage(alice["account_id"], five_hour_used=84)
            await complete(again.client, "after-restart")
            await usage_is(again, alice, five_hour_used=85, weekly_used=90)
            await notice_for(again.client, "weekly", 80)  # the same check would say 5h too
            assert thresholds_of(again.client, "5h") == []
        finally:
            assert await again.client.stop() == 0


async def test_refreshing_every_account_announces_only_the_pool_crossing(
    server_rig: ServerRig,
) -> None:
    """Each account's use changing at once moves the active account from one to the next:
    the account it moves to is not announced for a level it reached before it became
    active; the pool's crossing is."""
    accounts = await ready(
        server_rig, "alice@example.test", "bob@example.test", "carol@example.test"
    )
    client = server_rig.client
    for account in accounts:
        server_rig.emu.set_usage(account["account_id"], five_hour_used=85)
    await client.request("multicodex/accounts/refresh", {})
    crossed = await notice_for(client, "5h", 80)
    assert crossed["scope"] == "pool"

    for account in accounts:  # a barrier: every check of the first refresh has run
        server_rig.emu.set_usage(account["account_id"], five_hour_used=85, weekly_used=90)
    await client.request("multicodex/accounts/refresh", {})
    await notice_for(client, "weekly", 80)
    told = [(n["scope"], n["window"], n["threshold"]) for n in client.notifications(NOTICE)]
    assert told == [("pool", "5h", 80), ("pool", "weekly", 80)]


# -- the thresholds setting ------------------------------------------------------------------


async def test_the_thresholds_are_set_validated_and_followed(server_rig: ServerRig) -> None:
    client = server_rig.client
    [alice] = await ready(server_rig, "alice@example.test")
    defaults = await client.request(NOTICES_GET, {})
    assert (defaults["thresholds"], defaults["margin"]) == ([80, 95], 5.0)

    changed = await client.request(NOTICES_SET, {"thresholds": [50, 90], "margin": 10})
    assert (changed["thresholds"], changed["margin"]) == ([50, 90], 10.0)
    assert "50% and 90%" in changed["description"]

    for bad, field in (
        ({"thresholds": [90, 50]}, "thresholds"),
        ({"thresholds": [0, 50]}, "thresholds"),
        ({"thresholds": [50, 101]}, "thresholds"),
        ({"margin": 51}, "margin"),
        ({"margin": -1}, "margin"),
    ):
        with pytest.raises(RpcError) as refused:
            await client.request(NOTICES_SET, bad)
        assert refused.value.code == INVALID_PARAMS
        assert [e["field"] for e in refused.value.data["errors"]] == [field], bad
    kept = await client.request(NOTICES_GET, {})
    assert (kept["thresholds"], kept["margin"]) == ([50, 90], 10.0)

    await usage_is(server_rig, alice, five_hour_used=55)
    assert (await notice_for(client, "5h", 50))["used_percent"] == 55
    await usage_is(server_rig, alice, five_hour_used=85)  # 45 < 50 - 10 would re-arm; 85 not
    await usage_is(server_rig, alice, five_hour_used=91)
    await notice_for(client, "5h", 90)
    assert thresholds_of(client, "5h") == [50, 90]
