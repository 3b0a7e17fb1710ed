"""Hostile files at the store's path through `multicodex serve`: a named pipe is answered
with STORE_UNAVAILABLE naming it (the server never waits on it) until it is gone; a
document nested too deeply answers STORE_CORRUPT and is recovered like any corrupt one."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from multicodex_emulator import Emulator
from support.rpc_client import RpcClient, RpcError
from support.server_rig import assert_no_tokens, start_server

STORE_CORRUPT = -32050
STORE_UNAVAILABLE = -32051


def store_home(tmp_path: Path) -> Path:
    home = tmp_path / "store"
    home.mkdir(mode=0o700)
    return home


async def failure_of(client: RpcClient, method: str) -> RpcError:
    with pytest.raises(RpcError) as failure:
        await client.request(method, {})
    return failure.value


async def test_a_named_pipe_at_the_store_path_is_answered_with_an_error_not_a_hang(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    home = store_home(tmp_path)
    fifo = home / "accounts.json"
    os.mkfifo(fifo, 0o600)
    expected = (
        f"{fifo} is a named pipe (FIFO), which MultiCodex cannot use; it was left as it is. "
        "Remove or rename it, then try again."
    )
    async with server_emulator.serve() as base_url:
        rig = await start_server(server_emulator, base_url, tmp_path)
        client = rig.client
        try:
            warning = await client.notification("window/showMessage")
            failures = [
                await failure_of(client, method)
                for method in ("multicodex/accounts/list", "multicodex/status/get")
            ]
            assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
            fifo.unlink()
            listing = await client.request("multicodex/accounts/list", {})
        finally:
            assert await client.stop() == 0
    assert warning["message"] == f"MultiCodex: {expected}"
    for failure in failures:
        assert failure.code == STORE_UNAVAILABLE
        assert failure.message == expected
        assert failure.data["reason"] == "unreadable"
        assert failure.data["store_file"] == str(fifo)
    assert listing["no_accounts"] is True
    assert_no_tokens(rig)


async def test_a_deeply_nested_store_is_reported_corrupt_then_recovered(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    home = store_home(tmp_path)
    deep = "[" * 100_000
    (home / "accounts.json").write_text(deep)
    async with server_emulator.serve() as base_url:
        rig = await start_server(server_emulator, base_url, tmp_path)
        client = rig.client
        try:
            failure = await failure_of(client, "multicodex/accounts/list")
            verify = await client.request("multicodex/verify", {})
            recovered = await client.request("multicodex/store/recover", {"action": "start_empty"})
            listing = await client.request("multicodex/accounts/list", {})
        finally:
            assert await client.stop() == 0
    [moved] = sorted(home.glob("accounts.json.corrupt-*"))
    assert failure.code == STORE_CORRUPT
    assert failure.data["reason"] == "nested too deeply"
    assert failure.data["moved_to"] == str(moved)
    [store_check] = [c for c in verify["checks"] if c["name"] == "store_file"]
    assert store_check["status"] == "fail" and "nested too deeply" in store_check["detail"]
    assert recovered["recovered"] is True and recovered["reason"] == "nested too deeply"
    assert listing["no_accounts"] is True
    assert moved.read_text() == deep
    assert_no_tokens(rig)


async def test_a_home_that_cannot_be_a_directory_is_said_to_every_request(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    """`multicodex.home` (or MULTICODEX_HOME) names a place inside a file: the editor is
    told once at start and every request answers STORE_UNAVAILABLE saying how to fix it;
    the server stays up, never an internal error or a traceback."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file\n")
    home = blocker / "store"
    async with server_emulator.serve() as base_url:
        rig = await start_server(server_emulator, base_url, tmp_path, home=str(home))
        client = rig.client
        try:
            warning = await client.notification("window/showMessage")
            failure = await failure_of(client, "multicodex/accounts/list")
            again = await failure_of(client, "multicodex/status/get")
        finally:
            assert await client.stop() == 0
    assert str(home) in warning["message"] and "give a directory" in warning["message"]
    assert (failure.code, again.code) == (STORE_UNAVAILABLE, STORE_UNAVAILABLE)
    assert failure.message.startswith(f"the MultiCodex home {home} is inside {blocker}")
    assert "Traceback" not in client.stderr()
    assert blocker.read_text() == "a file\n"
