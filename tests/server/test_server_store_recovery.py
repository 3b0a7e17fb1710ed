"""A corrupt store through `multicodex serve`: every request answers STORE_CORRUPT naming
the moved file and the way to recover, verify fails its store check, and
multicodex/store/recover goes on with an empty store (the moved file stays) and pushes a
status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from filelock import FileLock

from multicodex_emulator import Emulator
from support.rpc_client import RpcClient, RpcError
from support.server_rig import ServerRig, assert_no_tokens, start_server

STORE_CORRUPT = -32050
RECOVER_METHOD = "multicodex/store/recover"
RECOVER_COMMAND = "multicodex recover --start-empty"
GARBAGE = '{"version": 1, "accounts": [ truncated'


def corrupt_store(home: Path) -> None:
    """Overwrite the document holding the store lock, as a crash of another writer could
    leave it: a write the server has under way finishes first, every later one sees this."""
    with FileLock(home / "accounts.json.lock", mode=0o600):
        (home / "accounts.json").write_text(GARBAGE)


def moved_files(home: Path) -> list[Path]:
    return sorted(home.glob("accounts.json.corrupt-*"))


async def corrupt_answer(client: RpcClient, method: str, params: Any) -> RpcError:
    with pytest.raises(RpcError) as failure:
        await client.request(method, params)
    return failure.value


async def recover(client: RpcClient) -> tuple[dict[str, Any], dict[str, Any]]:
    """store/recover, and the first status pushed after it was sent."""
    sent_at = len(client.messages)
    result = await client.request(RECOVER_METHOD, {"action": "start_empty"})

    def pushed() -> dict[str, Any] | None:
        return next(
            (
                m["params"]
                for m in client.messages[sent_at:]
                if m.get("method") == "multicodex/status" and "id" not in m
            ),
            None,
        )

    status = await client.wait_for(pushed, 30.0, "a status after recovering")
    return result, status


async def test_a_store_corrupted_while_serving_is_recovered_with_an_empty_store(
    server_rig: ServerRig,
) -> None:
    client = server_rig.client
    home = Path(server_rig.options["home"])
    await server_rig.seed("alice@example.test")
    # Let the server's own background work (the first usage fetch) finish writing first:
    # this test is about a corrupt file, not about racing a write in progress.
    await client.notification(
        "multicodex/status",
        lambda s: len(s["accounts"]) == 1 and s["accounts"][0]["usage"] is not None,
    )
    corrupt_store(home)

    failures = [
        await corrupt_answer(client, method, params)
        for method, params in (
            ("multicodex/accounts/list", {}),
            ("multicodex/status/get", {}),
            ("multicodex/accounts/use", {"key": "alice"}),
            ("multicodex/complete", {"stream_id": "s", "model": "gpt-5.5", "prompt": "hi"}),
        )
    ]
    [moved] = moved_files(home)
    for failure in failures:
        assert failure.code == STORE_CORRUPT
        assert failure.data == {
            "store_file": str(home / "accounts.json"),
            "moved_to": str(moved),
            "reason": "not valid JSON",
            "foreign_format": None,
            "recover_method": RECOVER_METHOD,
            "recover_command": RECOVER_COMMAND,
        }
        assert str(moved) in failure.message and RECOVER_COMMAND in failure.message
        assert RECOVER_METHOD not in failure.message  # people see the command, not the method
        assert "in the editor: Start with an empty store" in failure.message

    verify = await client.request("multicodex/verify", {})
    assert verify["status"] == "fail" and verify["accounts"] == 0
    [store_check] = [c for c in verify["checks"] if c["name"] == "store_file"]
    assert store_check["status"] == "fail"
    assert str(moved) in store_check["detail"] and RECOVER_COMMAND in store_check["detail"]

    result, status = await recover(client)
    assert result == {
        "action": "start_empty",
        "recovered": True,
        "store_file": str(home / "accounts.json"),
        "moved_to": str(moved),
        "reason": "not valid JSON",
        "foreign_format": None,
        "accounts": 0,
        "message": f"Started with an empty store; the unusable document stays at {moved}.",
    }
    assert status["no_accounts"] is True and status["active"] is None

    listing = await client.request("multicodex/accounts/list", {})
    assert listing["accounts"] == [] and listing["no_accounts"] is True
    assert moved.read_text() == GARBAGE
    assert (await client.request("multicodex/verify", {}))["status"] != "fail"

    again = await client.request(RECOVER_METHOD, {"action": "start_empty"})
    assert again["recovered"] is False and again["moved_to"] is None
    assert moved_files(home) == [moved]


async def test_a_store_corrupt_before_start_is_reported_then_recovered(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    home = tmp_path / "store"
    home.mkdir(mode=0o700)
    (home / "accounts.json").write_text(GARBAGE)
    (home / "accounts.json").chmod(0o600)
    async with server_emulator.serve() as base_url:
        rig = await start_server(server_emulator, base_url, tmp_path)
        client = rig.client
        try:
            warning = await client.notification("window/showMessage")
            failure = await corrupt_answer(client, "multicodex/accounts/list", {})
            _result, status = await recover(client)
            [bob] = await rig.seed("bob@example.test")
            listing = await client.request("multicodex/accounts/list", {})
        finally:
            assert await client.stop() == 0
    [moved] = moved_files(home)
    assert str(moved) in warning["message"] and RECOVER_COMMAND in warning["message"]
    assert failure.code == STORE_CORRUPT and failure.data["moved_to"] == str(moved)
    assert status["no_accounts"] is True
    assert [a["key"] for a in listing["accounts"]] == [bob["key"]]
    assert moved.read_text() == GARBAGE
    assert_no_tokens(rig)


async def test_recover_needs_a_known_action(server_rig: ServerRig) -> None:
    client = server_rig.client
    for params in ({}, {"action": "delete_everything"}):
        failure = await corrupt_answer(client, RECOVER_METHOD, params)
        assert failure.code == -32602
        assert [e["field"] for e in failure.data["errors"]] == ["action"]
    nothing = await client.request(RECOVER_METHOD, {"action": "start_empty"})
    assert nothing["recovered"] is False
    assert nothing["message"].startswith("Nothing to recover")
