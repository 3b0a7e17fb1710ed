"""The Codex CLI proxy inside `multicodex serve` (initializationOptions.proxy): off unless
enabled; when enabled the status says where it serves, a turn through it moves the same
pool view the footer shows (the account's usage and what the proxy served), and a port
that is taken is said in the status while the server goes on without it."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from proxy_rig import cli_body

from multicodex_emulator import Emulator
from support.server_rig import STATUS, ServerRig, assert_no_tokens, free_port, ready, start_server

TIMEOUT = 30.0


@pytest.fixture
async def emulator_url() -> AsyncIterator[tuple[Emulator, str]]:
    emu = Emulator(tokens_per_second=20000.0)
    async with emu.serve() as base_url:
        yield emu, base_url


@asynccontextmanager
async def serving(
    emulator_url: tuple[Emulator, str], root: Path, **options: Any
) -> AsyncIterator[ServerRig]:
    emu, base_url = emulator_url
    rig = await start_server(emu, base_url, root, **options)
    try:
        yield rig
    finally:
        code = await rig.client.stop()
    assert code == 0, rig.client.stderr()[-3000:]
    assert_no_tokens(rig)


def proxy_of(status: dict[str, Any]) -> dict[str, Any] | None:
    proxy: dict[str, Any] | None = status["proxy"]
    return proxy


async def test_the_proxy_is_off_by_default(
    emulator_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    async with serving(emulator_url, tmp_path) as rig:
        status = await rig.client.request("multicodex/status/get", {})
        assert status["proxy"] is None


async def test_a_turn_through_the_proxy_moves_the_status_the_footer_shows(
    emulator_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    port = free_port()
    async with serving(emulator_url, tmp_path, proxy={"enabled": True, "port": port}) as rig:
        (alice,) = await ready(rig, "alice@example.com")
        status = await rig.client.notification(
            STATUS, lambda s: bool((s["proxy"] or {}).get("serving"))
        )
        base_url = f"http://127.0.0.1:{port}/backend-api"
        assert status["proxy"] == {
            "serving": True,
            "base_url": base_url,
            "error": None,
            "turns_served": 0,
            "last_account": None,
        }
        rig.emu.set_usage(alice["account_id"], five_hour_used=40.0)
        secret = (tmp_path / "store" / "proxy-secret").read_text().strip()
        async with httpx2.AsyncClient(timeout=TIMEOUT) as http:
            answer = await http.post(
                f"{base_url}/codex/responses",
                json=cli_body("hi", "thread-editor"),
                headers={"Authorization": f"Bearer {secret}"},
            )
        assert answer.status_code == 200
        assert "response.completed" in answer.text

        after = await rig.client.notification(
            STATUS, lambda s: (s["proxy"] or {}).get("turns_served") == 1
        )
        assert after["proxy"]["last_account"]["key"] == alice["key"]
        usage = after["accounts"][0]["usage"]
        assert usage["five_hour"]["used_percent"] >= 40.0  # from the answer's x-codex headers


async def test_a_port_that_is_taken_is_said_in_the_status_and_the_server_goes_on(
    emulator_url: tuple[Emulator, str], tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with serving(emulator_url, tmp_path, proxy={"enabled": True, "port": port}) as rig:
            status = await rig.client.notification(
                STATUS, lambda s: bool((s["proxy"] or {}).get("error"))
            )
            assert status["proxy"]["serving"] is False
            assert f"127.0.0.1:{port}" in status["proxy"]["error"]
            listing = await rig.client.request("multicodex/accounts/list", {})
            assert listing["accounts"] == []
