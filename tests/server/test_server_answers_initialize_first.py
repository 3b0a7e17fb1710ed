"""`multicodex serve` answers ``initialize`` before it loads pydantic and the wire models:
they are loaded after the answer, when ``initialized`` (or the first request) validates
``initializationOptions``. Each test runs the real server with a package made
unimportable, so a load before the answer would fail the answer itself."""

from __future__ import annotations

from pathlib import Path

from multicodex.protocol import METHODS, NOTIFICATIONS, PROTOCOL_VERSION
from support.rpc_client import CLI_SERVE, RpcClient, server_env
from support.unimportable import Unimportable

SHOW_MESSAGE = "window/showMessage"
INITIALIZE_PARAMS = {"processId": None, "rootUri": None, "capabilities": {}}


def env_without(root: Path, package: str) -> tuple[dict[str, str], Unimportable]:
    blocked = Unimportable.create(root, package)
    return server_env(root, {"PYTHONPATH": blocked.first_on_path}), blocked


async def test_initialize_is_answered_without_pydantic(tmp_path: Path) -> None:
    env, pydantic = env_without(tmp_path, "pydantic")
    client = await RpcClient.start(env, tmp_path / "stderr.log", CLI_SERVE)
    try:
        params = {**INITIALIZE_PARAMS, "initializationOptions": {"home": str(tmp_path / "s")}}
        result = await client.request("initialize", params)
        shutdown = await client.request("shutdown")
        await client.notify("exit")
    finally:
        exit_code = await client.close()

    assert not pydantic.attempted(), pydantic.where_attempted()
    extension = result["capabilities"]["experimental"]["multicodex"]
    assert extension == {
        "protocol_version": PROTOCOL_VERSION,
        "methods": [m.value for m in METHODS],
        "notifications": [n.value for n in NOTIFICATIONS],
    }
    assert shutdown is None
    assert exit_code == 0


async def test_invalid_options_are_still_replaced_and_said_on_initialized(
    tmp_path: Path,
) -> None:
    home = tmp_path / "flag-home"
    command = (*CLI_SERVE, "--home", str(home))
    client = await RpcClient.start(server_env(tmp_path), tmp_path / "stderr.log", command)
    try:
        await client.initialize({"log_level": "loud"})
        warning = await client.notification(SHOW_MESSAGE)
        paths = await client.request("multicodex/paths", {})
    finally:
        assert await client.stop() == 0

    assert "invalid initializationOptions (log_level" in warning["message"]
    assert "using the defaults" in warning["message"]
    assert paths["home"] == str(home)


async def test_a_login_is_not_needed_to_serve_so_authlib_stays_unloaded(
    tmp_path: Path,
) -> None:
    env, authlib = env_without(tmp_path, "authlib")
    client = await RpcClient.start(env, tmp_path / "stderr.log", CLI_SERVE)
    try:
        await client.initialize({"home": str(tmp_path / "store")})
        status = await client.request("multicodex/status/get", {})
        listing = await client.request("multicodex/accounts/list", {})
    finally:
        assert await client.stop() == 0

    assert not authlib.attempted(), authlib.where_attempted()
    assert status["no_accounts"] is True
    assert listing["accounts"] == []
