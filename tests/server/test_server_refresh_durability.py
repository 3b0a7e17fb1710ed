"""A refresh that was sent is saved, whatever interrupts the request or the server.

The emulator's token endpoint rotates the refresh token the moment the request arrives
and answers two seconds later (a busy auth server), so every interruption lands in the
window where the new pair exists only in the answer. After each one, a later refresh of
every account must succeed and the emulator must count no reused refresh token.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from multicodex_emulator import Emulator
from support.server_rig import ServerRig, assert_no_tokens, start_server

SLOW_TOKEN_ANSWER = 2.0
COMPLETE = "multicodex/complete"
REFRESH = "multicodex/accounts/refresh"


@pytest.fixture
async def emulator_url() -> AsyncIterator[tuple[Emulator, str]]:
    emu = Emulator(tokens_per_second=0)
    async with emu.serve() as base_url:
        yield emu, base_url


async def _slow_refresh_pending(
    emu: Emulator, base_url: str, root: Path
) -> tuple[ServerRig, list[dict[str, Any]]]:
    """A server with two accounts whose access tokens the backend no longer accepts, and
    a token endpoint that takes two seconds to answer."""
    rig = await start_server(emu, base_url, root)
    accounts = await rig.seed("alice@example.test", "bob@example.test")
    await rig.client.request(REFRESH, {})  # the first usage fetches are over
    emu.update_settings(token_latency=SLOW_TOKEN_ANSWER)
    for account in accounts:
        emu.expire_access_tokens(account["account_id"])
    return rig, accounts


async def _rotated(rig: ServerRig, account: dict[str, Any], count: int = 1) -> None:
    """Wait until the emulator has rotated the account's refresh token ``count`` times:
    its answer is now on its way, slowly."""
    await rig.client.wait_for(
        lambda: rig.emu.counters(account["account_id"])["refreshes"] >= count,
        20,
        "the token endpoint to rotate the refresh token",
    )


async def _every_account_refreshes_again(
    emu: Emulator, base_url: str, root: Path, accounts: list[dict[str, Any]]
) -> None:
    """A new server on the same store refreshes every account; nothing was burned."""
    emu.update_settings(token_latency=0)
    for account in accounts:
        emu.expire_access_tokens(account["account_id"])
    before = {a["account_id"]: emu.counters(a["account_id"])["refreshes"] for a in accounts}
    rig = await start_server(emu, base_url, root)
    try:
        result = await rig.client.request(REFRESH, {})
        listing = await rig.client.request("multicodex/accounts/list")
    finally:
        assert await rig.client.stop() == 0
    assert result["needs_reauth"] == 0, rig.client.stderr()[-2000:]
    assert all(a["state"] != "needs_reauth" for a in listing["accounts"])
    for account in accounts:
        counters = emu.counters(account["account_id"])
        assert counters["refresh_reused"] == 0
        assert counters["refreshes"] > before[account["account_id"]]
    assert_no_tokens(rig)


async def test_cancelling_the_completion_that_started_a_refresh_keeps_its_answer(
    emulator_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    emu, base_url = emulator_url
    rig, accounts = await _slow_refresh_pending(emu, base_url, tmp_path)
    msg_id = await rig.client.send_request(
        COMPLETE, {"stream_id": "s-1", "model": "gpt-5.5", "prompt": "hi"}
    )
    await rig.client.wait_for(
        lambda: any(emu.counters(a["account_id"])["refreshes"] for a in accounts),
        20,
        "the token endpoint to rotate the refresh token",
    )
    await rig.client.notify("$/cancelRequest", {"id": msg_id})

    assert (await rig.client.response(msg_id))["error"]["code"] == -32800
    assert await rig.client.stop() == 0
    await _every_account_refreshes_again(emu, base_url, tmp_path, accounts)


async def test_cancelling_accounts_refresh_keeps_the_answers(
    emulator_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    emu, base_url = emulator_url
    rig, accounts = await _slow_refresh_pending(emu, base_url, tmp_path)
    msg_id = await rig.client.send_request(REFRESH, {})
    for account in accounts:
        await _rotated(rig, account)
    await rig.client.notify("$/cancelRequest", {"id": msg_id})

    assert (await rig.client.response(msg_id))["error"]["code"] == -32800
    # The server keeps serving while the refreshes land, then exits cleanly.
    await rig.client.request("multicodex/status/get")
    assert await rig.client.stop() == 0
    await _every_account_refreshes_again(emu, base_url, tmp_path, accounts)


async def _interrupt_with_shutdown(rig: ServerRig) -> int:
    return await rig.client.stop(within=30)


async def _interrupt_by_closing_stdin(rig: ServerRig) -> int:
    return await rig.client.close(within=30)


async def _interrupt_with_sigterm(rig: ServerRig) -> int:
    rig.client.process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(rig.client.process.wait(), 30)


async def _interrupt_with_sigint(rig: ServerRig) -> int:
    rig.client.process.send_signal(signal.SIGINT)
    return await asyncio.wait_for(rig.client.process.wait(), 30)


@pytest.mark.parametrize(
    "interrupt",
    [
        _interrupt_with_shutdown,
        _interrupt_by_closing_stdin,
        _interrupt_with_sigterm,
        _interrupt_with_sigint,
    ],
    ids=["shutdown-exit", "stdin-closed", "sigterm", "sigint"],
)
async def test_the_server_saves_refreshes_in_flight_before_it_exits(
    emulator_url: tuple[Emulator, str],
    tmp_path: Path,
    interrupt: Callable[[ServerRig], Awaitable[int]],
) -> None:
    emu, base_url = emulator_url
    rig, accounts = await _slow_refresh_pending(emu, base_url, tmp_path)
    await rig.client.send_request(REFRESH, {})
    for account in accounts:
        await _rotated(rig, account)

    code = await interrupt(rig)

    assert code == 0, rig.client.stderr()[-2000:]
    assert "in flight to be saved" in rig.client.stderr()
    assert_no_tokens(rig)
    await _every_account_refreshes_again(emu, base_url, tmp_path, accounts)


async def test_a_refresh_not_yet_sent_does_not_hold_up_the_exit(
    emulator_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    """Only refreshes whose request has left are waited for: with no refresh under way,
    shutdown does not wait and says nothing about refreshes."""
    emu, base_url = emulator_url
    rig = await start_server(emu, base_url, tmp_path)
    await rig.seed("alice@example.test")
    await rig.client.request(REFRESH, {})

    assert await rig.client.stop() == 0
    assert "in flight" not in rig.client.stderr()


async def _refresh_whose_answer_is_lost(
    emu: Emulator, base_url: str, root: Path, after_rotate: bool
) -> tuple[ServerRig, dict[str, Any], dict[str, Any]]:
    """One account whose next token request loses its connection, and the refresh that
    meets it."""
    rig = await start_server(emu, base_url, root)
    [alice] = await rig.seed("alice@example.test")
    await rig.client.request(REFRESH, {})
    emu.expire_access_tokens(alice["account_id"])
    emu.script_token_faults([{"kind": "drop", "after_rotate": after_rotate}])
    result = await rig.client.request(REFRESH, {"key": alice["key"]})
    return rig, alice, result


async def test_a_lost_answer_is_recovered_with_the_same_token_when_it_was_not_rotated(
    emulator_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    emu, base_url = emulator_url
    # The connection drops before the grant is processed: nothing was rotated.
    rig, alice, result = await _refresh_whose_answer_is_lost(emu, base_url, tmp_path, False)

    assert result["needs_reauth"] == 0
    counters = emu.counters(alice["account_id"])
    assert counters["refreshes"] == 1
    assert counters["refresh_reused"] == 0
    assert await rig.client.stop() == 0
    assert_no_tokens(rig)


async def test_a_lost_answer_after_rotation_marks_reauth_with_what_happened(
    emulator_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    emu, base_url = emulator_url
    rig, alice, result = await _refresh_whose_answer_is_lost(emu, base_url, tmp_path, True)
    assert result["needs_reauth"] == 1
    listing = await rig.client.request("multicodex/accounts/list")

    [account] = listing["accounts"]
    assert account["state"] == "needs_reauth"
    assert "answer to a token refresh was lost" in account["reauth_reason"]
    counters = emu.counters(alice["account_id"])
    assert counters["refreshes"] == 1
    assert counters["refresh_reused"] == 1, "exactly one retry with the same token"
    assert await rig.client.stop() == 0
    assert_no_tokens(rig)
