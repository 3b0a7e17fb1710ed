"""A window's own account (``initializationOptions.workspace_account``): every request
without ``account_key`` goes to it alone, the footer shows it as the workspace's, and the
pool serves a request only when the client asks for it (``use_pool``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from multicodex.protocol import ErrorCode
from multicodex_emulator import Emulator
from support.rpc_client import RpcError
from support.server_rig import STATUS, ServerRig, assert_no_tokens, start_server

COMPLETE = "multicodex/complete"
RESPONSES_PATH = "/backend-api/codex/responses"
SHOW_MESSAGE = "window/showMessage"
WHY = "this workspace's account (multicodex.workspaceAccount)"


@pytest.fixture
async def window(
    server_emulator: Emulator, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[ServerRig]:
    """A server whose workspace account is "bob" (or the test's indirect parameter)."""
    identifier = str(getattr(request, "param", "bob"))
    async with server_emulator.serve() as base_url:
        rig = await start_server(server_emulator, base_url, tmp_path, workspace_account=identifier)
        try:
            yield rig
        finally:
            code = await rig.client.stop()
        assert code == 0, rig.client.stderr()[-3000:]
        assert_no_tokens(rig)


async def ask(rig: ServerRig, stream_id: str, **extra: Any) -> dict[str, Any]:
    params = {"stream_id": stream_id, "model": "gpt-5.5", "prompt": "hi", **extra}
    return dict(await rig.client.request(COMPLETE, params))


def served_by(rig: ServerRig) -> list[tuple[str, int]]:
    return [(r.account_id, r.status) for r in rig.emu.requests_to(RESPONSES_PATH)]


async def test_the_workspace_account_serves_though_another_is_the_better_choice(
    window: ServerRig,
) -> None:
    _alice, bob = await window.seed("alice@example.test", "bob@example.test")
    window.emu.set_usage(bob["account_id"], five_hour_used=60.0)

    result = await ask(window, "s-1")

    assert result["account"] == {"key": bob["key"], "display_name": "bob@example.test"}
    assert served_by(window) == [(bob["account_id"], 200)]
    listing = await window.client.request("multicodex/accounts/list", {})
    assert listing["pinned_key"] is None
    assert listing["active"]["key"] == bob["key"]
    assert listing["active"]["rule"] == "workspace"
    assert listing["active"]["reason"] == WHY
    assert listing["active"]["pinned"] is False


async def test_the_footer_shows_the_workspace_account_as_such(window: ServerRig) -> None:
    _alice, bob = await window.seed("alice@example.test", "bob@example.test")

    status = await window.client.notification(
        STATUS, lambda s: s["active"] is not None and "left" in s["footer"]["text"]
    )

    assert status["active"]["key"] == bob["key"]
    assert status["footer"]["text"].startswith("Codex · bob@example.test (workspace) · 5h ")
    [account] = [s for s in status["footer"]["segments"] if s["role"] == "account"]
    assert account["text"] == "bob@example.test (workspace)"


async def test_an_exhausted_workspace_account_fails_naming_it_and_the_pool_serves_on_request(
    window: ServerRig,
) -> None:
    alice, bob = await window.seed("alice@example.test", "bob@example.test")
    window.emu.set_usage(bob["account_id"], five_hour_used=100.0)

    with pytest.raises(RpcError) as exhausted:
        await ask(window, "s-full")

    assert exhausted.value.code == ErrorCode.POOL_EXHAUSTED
    assert exhausted.value.message.startswith("bob@example.test cannot serve this request now")
    [state] = exhausted.value.data["accounts"]
    assert state["account"]["key"] == bob["key"]
    assert served_by(window) == [(bob["account_id"], 429)]

    result = await ask(window, "s-pool", use_pool=True)

    assert result["account"]["key"] == alice["key"]
    assert served_by(window)[1:] == [(alice["account_id"], 200)]


@pytest.mark.parametrize("window", ["eve"], indirect=True)
async def test_a_workspace_account_not_in_the_pool_is_warned_about_and_fails_requests(
    window: ServerRig,
) -> None:
    alice, bob = await window.seed("alice@example.test", "bob@example.test")
    warning = await window.client.notification(SHOW_MESSAGE)
    expected = "multicodex.workspaceAccount names 'eve', which is not in the pool"

    with pytest.raises(RpcError) as unknown:
        await ask(window, "s-eve")

    assert warning["message"] == f"MultiCodex: {expected}"
    assert unknown.value.code == ErrorCode.ACCOUNT_NOT_FOUND
    assert unknown.value.message == expected
    assert unknown.value.data == {"key": "eve", "known_keys": [alice["key"], bob["key"]]}
    assert served_by(window) == []
