"""Smoke run of the real Codex CLI 0.171.0 (`codex exec`, from tests/fidelity's npm
install) through the proxy, wired as a model provider of its own with the proxy's secret
as its bearer: the turn completes on the pool, after a 429 on the first account."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import pytest
from proxy_rig import ProxyRig

CODEX_JS = Path(__file__).resolve().parents[1] / "fidelity/node_modules/codex-0171/bin/codex.js"
RUN_TIMEOUT = 90.0

pytestmark = pytest.mark.usefixtures("codex_cli_installed")


def codex_home(root: Path, base_url: str) -> Path:
    home = root / "codex-home"
    home.mkdir()
    (home / "config.toml").write_text(
        'model = "gpt-5.5"\n'
        'model_provider = "multicodex"\n'
        "check_for_update_on_startup = false\n"
        "[model_providers.multicodex]\n"
        'name = "MultiCodex"\n'
        f'base_url = "{base_url}/codex"\n'
        'wire_api = "responses"\n'
        'env_key = "MULTICODEX_PROXY_SECRET"\n'
    )
    return home


async def test_codex_exec_completes_a_turn_through_the_proxy_after_a_429(
    rig: ProxyRig, tmp_path: Path
) -> None:
    spent, stored = rig.add("alice@example.com")
    rig.add("bob@example.com")
    await rig.app.pool.pin(stored.key)
    rig.emu.set_usage(spent.account_id, five_hour_used=100.0)
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "TERM": "xterm",
        "CODEX_HOME": str(codex_home(tmp_path, rig.url)),
        "MULTICODEX_PROXY_SECRET": rig.proxy.secret,
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    process = await asyncio.create_subprocess_exec(
        "node", str(CODEX_JS), "exec", "--skip-git-repo-check", "--json", "say hi",
        env=env, cwd=str(tmp_path), stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        stdout, _ = await asyncio.wait_for(process.communicate(), RUN_TIMEOUT)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0
    lines = [json.loads(line) for line in stdout.decode().splitlines() if line.startswith("{")]
    messages = [e["item"]["text"] for e in lines if e.get("type") == "item.completed"]
    assert any("Hello from bob@example.com" in m for m in messages)
    assert not [e for e in lines if e.get("type") == "error"]
    statuses = [r.status for r in rig.upstream_turns()]
    assert statuses == [429, 200]
