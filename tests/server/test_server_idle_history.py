"""An idle server leaves the usage history alone: nothing recorded yet means no
database file is created and SQLite is not loaded (about 1.4 MiB resident) until the
first observation is written. The server runs with ``sqlite3`` made unimportable, so a
load would leave a trace."""

from __future__ import annotations

from pathlib import Path

from multicodex.history import HISTORY_NAME
from support.rpc_client import CLI_SERVE, RpcClient, server_env
from support.unimportable import Unimportable


async def test_an_idle_server_neither_loads_sqlite_nor_creates_the_history(
    tmp_path: Path,
) -> None:
    sqlite = Unimportable.create(tmp_path, "sqlite3")
    home = tmp_path / "store"
    env = server_env(tmp_path, {"PYTHONPATH": sqlite.first_on_path})
    client = await RpcClient.start(env, tmp_path / "stderr.log", CLI_SERVE)
    try:
        await client.initialize({"home": str(home)})
        status = await client.request("multicodex/status/get", {})
        history = await client.request("multicodex/usage/history", {})
    finally:
        assert await client.stop() == 0

    assert not sqlite.attempted(), sqlite.where_attempted()
    assert not (home / HISTORY_NAME).exists()
    assert status["no_accounts"] is True
    assert history["observations"] == []
