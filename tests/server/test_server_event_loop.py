"""`multicodex serve` runs on uvloop where it is installed, on asyncio's own loop where it
is not (Windows) or when ``MULTICODEX_EVENT_LOOP=asyncio`` says so; a completion is served
the same on either."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from multicodex import event_loop
from multicodex_emulator import Emulator
from support.rpc_client import RpcClient
from support.server_rig import assert_no_tokens, deltas_of, ready, start_server
from support.unimportable import Unimportable

COMPLETE = "multicodex/complete"


def uvloop_is_mapped(client: RpcClient) -> bool:
    """Whether the server process has loaded uvloop's extension module."""
    maps = Path(f"/proc/{client.process.pid}/maps").read_text()
    return "/uvloop/loop." in maps


async def complete_once(extra: dict[str, str], root: Path) -> tuple[bool, list[str], int]:
    """(uvloop loaded, the streamed text, exit code) of one server serving one completion."""
    emu = Emulator(tokens_per_second=0)
    async with emu.serve() as base_url:
        rig = await start_server(emu, base_url, root, extra_env=extra)
        try:
            [alice] = await ready(rig, "alice@example.test")
            result = await rig.client.request(
                COMPLETE, {"stream_id": "s1", "model": "gpt-5.5", "prompt": "Say hi"}
            )
            assert result["account"]["key"] == alice["key"]
            texts = [d["text"] for d in deltas_of(rig.client, "s1") if d["kind"] == "text"]
            mapped = uvloop_is_mapped(rig.client)
        finally:
            code = await rig.client.stop()
        assert_no_tokens(rig)
    assert "".join(texts) == result["text"]
    assert result["text"].startswith("Hello from alice@example.test")
    return mapped, texts, code


@pytest.mark.skipif(event_loop.loop_factory() is None, reason="uvloop is not installed here")
async def test_serve_runs_on_uvloop_where_it_is_installed(tmp_path: Path) -> None:
    mapped, texts, code = await complete_once({}, tmp_path)
    assert mapped
    assert texts
    assert code == 0


async def test_serve_without_uvloop_serves_on_asyncio(tmp_path: Path) -> None:
    blocked = Unimportable.create(tmp_path, "uvloop")
    mapped, texts, code = await complete_once({"PYTHONPATH": blocked.first_on_path}, tmp_path)
    assert blocked.attempted()  # it was asked for, and the server went on without it
    assert not mapped
    assert texts
    assert code == 0


async def test_the_environment_can_choose_asyncio(tmp_path: Path) -> None:
    mapped, texts, code = await complete_once({event_loop.ENVIRONMENT: "asyncio"}, tmp_path)
    assert not mapped
    assert texts
    assert code == 0


def test_run_is_asyncio_run_on_the_chosen_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    async def loop_module() -> str:
        return type(asyncio.get_running_loop()).__module__

    monkeypatch.setenv(event_loop.ENVIRONMENT, "asyncio")
    assert event_loop.loop_factory() is None
    assert event_loop.run(loop_module()).startswith("asyncio")
    monkeypatch.delenv(event_loop.ENVIRONMENT)
    if event_loop.loop_factory() is not None:
        assert event_loop.run(loop_module()).startswith("uvloop")
