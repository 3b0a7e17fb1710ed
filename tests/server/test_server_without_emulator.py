"""`multicodex serve` never loads the emulator: a whole session (initialize, an import, a
completion streamed from the emulator on 127.0.0.1, shutdown) with the emulator's package
unimportable in the server process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from multicodex_emulator import Emulator
from support.rpc_client import CLI_SERVE, RpcClient
from support.server_rig import ServerRig, assert_no_tokens, free_port, ready, server_env
from support.unimportable import Unimportable


def _env_without(root: Path, blocked: Unimportable) -> dict[str, str]:
    return server_env(root, {"PYTHONPATH": blocked.first_on_path})


async def test_a_whole_session_never_loads_the_emulator(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    blocked = Unimportable.create(tmp_path, "multicodex_emulator")
    async with server_emulator.serve() as base_url:
        options: dict[str, Any] = {
            "home": str(tmp_path / "store"),
            "auth_url": base_url,
            "backend_url": f"{base_url}/backend-api",
            "callback_ports": [free_port()],
        }
        env = _env_without(tmp_path, blocked)
        client = await RpcClient.start(env, tmp_path / "server-stderr.log", command=CLI_SERVE)
        rig = ServerRig(server_emulator, base_url, tmp_path, client, options)
        try:
            await client.initialize(options)
            await ready(rig, "alice@example.test")
            result = await client.request(
                "multicodex/complete", {"stream_id": "s-1", "model": "gpt-5.5", "prompt": "Hi"}
            )
        finally:
            code = await client.stop()

    assert not blocked.attempted(), blocked.where_attempted()
    assert code == 0, client.stderr()[-3000:]
    assert result["status"] == "completed"
    assert result["text"].startswith("Hello from alice@example.test")
    assert_no_tokens(rig)
