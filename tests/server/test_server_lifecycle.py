"""`multicodex serve` as an LSP server: initialize, initialized, shutdown, exit, stdin EOF,
and the answers to requests that arrive at the wrong time."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from multicodex import __version__
from multicodex.protocol import METHODS, NOTIFICATIONS, PROTOCOL_VERSION
from multicodex.store.document import Store
from multicodex_emulator import Emulator
from support.rpc_client import CLI_SERVE, RpcClient, RpcError, encode
from support.server_rig import ServerRig, assert_no_tokens, free_port, server_env, start_server

SHOW_MESSAGE = "window/showMessage"


def text_of(path: str) -> str:
    return Path(path).read_text()


async def test_initialize_answers_capabilities_and_a_status_follows_initialized(
    server_rig: ServerRig,
) -> None:
    client = server_rig.client
    initialize = client.messages[0]["result"]
    assert initialize["serverInfo"] == {"name": "multicodex", "version": __version__}
    capabilities = initialize["capabilities"]
    assert capabilities["textDocumentSync"] == 0
    extension = capabilities["experimental"]["multicodex"]
    assert extension["protocol_version"] == PROTOCOL_VERSION
    assert extension["methods"] == [m.value for m in METHODS]
    assert extension["notifications"] == [n.value for n in NOTIFICATIONS]

    status = await client.notification("multicodex/status")
    assert status["no_accounts"] is True
    assert status["active"] is None
    assert status["footer"]["text"] == "Codex · no accounts · add one (multicodex login)"
    assert status["footer"]["state"] == "no_accounts"
    assert status["revision"] >= 1


async def test_requests_before_initialize_are_refused_and_stdin_eof_ends_the_server(
    tmp_path: Path,
) -> None:
    client = await RpcClient.start(server_env(tmp_path), tmp_path / "stderr.log")
    try:
        early = await client.send_request("multicodex/status/get", {})
        assert (await client.response(early))["error"]["code"] == -32002
        await client.notify("initialized", {})
    finally:
        code = await client.close()
    assert code == 0
    assert not client.notifications("multicodex/status")


async def test_invalid_initialization_options_fall_back_to_defaults_with_a_warning(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    env = server_env(tmp_path)
    env["MULTICODEX_HOME"] = str(tmp_path / "env-home")
    client = await RpcClient.start(env, tmp_path / "stderr.log")
    try:
        await client.initialize({"footer": {"usage_mode": "sideways"}, "home": "/unused"})
        warning = await client.notification(SHOW_MESSAGE)
        assert warning["type"] == 2
        assert "footer.usage_mode" in warning["message"]
        paths = await client.request("multicodex/paths", {})
        assert paths["home"] == str(tmp_path / "env-home")
        footer = await client.request("multicodex/footer/get", {})
        assert footer["settings"]["usage_mode"] == "left"
        assert footer["session_override"] is False
    finally:
        assert await client.stop() == 0


async def test_unknown_strategy_in_options_is_reported_by_name(tmp_path: Path) -> None:
    client = await RpcClient.start(server_env(tmp_path), tmp_path / "stderr.log")
    try:
        await client.initialize({"home": str(tmp_path / "s"), "rotation": {"strategy": "coin"}})
        warning = await client.notification(SHOW_MESSAGE)
        assert "rotation.strategy" in warning["message"]
        rotation = await client.request("multicodex/rotation/get", {})
        assert rotation["policy"]["strategy"] == "default"
    finally:
        await client.stop()


async def test_a_second_initialize_is_an_invalid_request(server_rig: ServerRig) -> None:
    client = server_rig.client
    again = await client.send_request("initialize", {"processId": None, "capabilities": {}})
    assert (await client.response(again))["error"]["code"] == -32600
    assert (await client.request("multicodex/status/get", {}))["no_accounts"] is True


async def test_shutdown_refuses_later_requests_and_exit_ends_with_code_zero(
    tmp_path: Path,
) -> None:
    client = await RpcClient.start(server_env(tmp_path), tmp_path / "stderr.log")
    await client.initialize({"home": str(tmp_path / "store")})
    assert await client.request("shutdown") is None
    late = await client.send_request("multicodex/status/get", {})
    assert (await client.response(late))["error"]["code"] == -32600
    await client.notify("exit")
    assert await client.close() == 0


async def test_exit_without_shutdown_ends_with_code_one(tmp_path: Path) -> None:
    client = await RpcClient.start(server_env(tmp_path), tmp_path / "stderr.log")
    await client.initialize({"home": str(tmp_path / "store")})
    await client.notify("exit")
    assert await client.close() == 1


async def test_unknown_methods_and_stray_notifications(server_rig: ServerRig) -> None:
    client = server_rig.client
    with_error = await client.send_request("multicodex/accounts/frobnicate", {})
    error = (await client.response(with_error))["error"]
    assert error["code"] == -32601
    assert error["message"] == "Method Not Found: multicodex/accounts/frobnicate"
    assert error.get("data") is None
    await client.notify("multicodex/accounts/list", {})
    await client.notify("textDocument/didOpen", {"nonsense": True})
    await client.notify("$/cancelRequest", {"id": 424242})
    assert (await client.request("multicodex/status/get"))["no_accounts"] is True


async def test_stdout_carries_frames_only(server_rig: ServerRig) -> None:
    """Every byte the server wrote parsed as a frame: a stray print would have broken the
    client's reader (and with it every later wait)."""
    client = server_rig.client
    await client.write(encode({"jsonrpc": "2.0", "id": "p", "method": "multicodex/paths"}))
    result = (await client.response("p"))["result"]
    assert json.dumps(result)
    assert not client._reader.done()


async def test_the_cli_serve_command_runs_the_server_with_its_home(tmp_path: Path) -> None:
    home = tmp_path / "flag-home"
    command = (*CLI_SERVE, "--home", str(home))
    client = await RpcClient.start(server_env(tmp_path), tmp_path / "stderr.log", command)
    try:
        await client.initialize({})
        paths = await client.request("multicodex/paths", {})
    finally:
        assert await client.stop() == 0
    assert paths["home"] == str(home)
    assert (home / "accounts.schema.json").exists()


async def test_a_corrupt_store_is_reported_at_start_and_by_every_request(
    tmp_path: Path,
) -> None:
    home = tmp_path / "store"
    home.mkdir()
    (home / "accounts.json").write_text("{ not json")
    client = await RpcClient.start(server_env(tmp_path), tmp_path / "stderr.log")
    try:
        await client.initialize({"home": str(home)})
        warning = await client.notification(SHOW_MESSAGE)
        with pytest.raises(RpcError) as failure:
            await client.request("multicodex/accounts/list", {})
    finally:
        assert await client.stop() == 0
    assert "could not be used" in warning["message"]
    assert failure.value.code == -32050
    assert failure.value.data["reason"] == "not valid JSON"
    assert text_of(failure.value.data["moved_to"]) == "{ not json"


async def test_changes_made_by_another_process_reach_the_next_status(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    async with server_emulator.serve() as base_url:
        rig = await start_server(server_emulator, base_url, tmp_path, status_refresh_seconds=1)
        try:
            [alice] = await rig.seed("alice@example.test")
            with Store.open(rig.options["home"]).transaction() as doc:
                doc.accounts[0].label = "Renamed elsewhere"
            status = await rig.client.notification(
                "multicodex/status",
                lambda s: bool(s["accounts"]) and s["accounts"][0]["label"] == "Renamed elsewhere",
            )
        finally:
            assert await rig.client.stop() == 0
    assert status["accounts"][0]["key"] == alice["key"]
    assert_no_tokens(rig)


async def test_debug_logging_never_shows_a_token(server_emulator: Emulator, tmp_path: Path) -> None:
    async with server_emulator.serve() as base_url:
        rig = await start_server(server_emulator, base_url, tmp_path, log_level="debug")
        try:
            [alice] = await rig.seed("alice@example.test")
            rig.emu.expire_access_tokens(alice["account_id"])
            await rig.client.request(
                "multicodex/complete", {"stream_id": "s", "model": "gpt-5.5", "prompt": "hi"}
            )
            await rig.client.request("multicodex/accounts/refresh", {})
        finally:
            assert await rig.client.stop() == 0
    assert_no_tokens(rig)


async def test_without_show_document_support_no_browser_is_opened(tmp_path: Path) -> None:
    client = await RpcClient.start(server_env(tmp_path), tmp_path / "stderr.log")
    try:
        await client.initialize(
            {"home": str(tmp_path / "store"), "callback_ports": [free_port()]},
            show_document=False,
        )
        start = await client.request("multicodex/login/start", {})
        await client.request("multicodex/login/cancel", {"login_id": start["login_id"]})
    finally:
        assert await client.stop() == 0
    assert start["browser_open_requested"] is False
    assert client.shown_documents == []
    assert not [m for m in client.messages if m.get("method") == "window/showDocument"]
