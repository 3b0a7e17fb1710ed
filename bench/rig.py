"""What the benchmarks share: a seeded store, a running server, and direct streams from
the emulator (the baseline every relay figure is compared with)."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2

from bench.emulator_process import EmulatorProcess
from bench.profiling import recording
from multicodex.model import StoredAccount
from multicodex.store.document import Store
from rpcclient import SERVE, RpcClient, Stamp, server_env

MODEL = "gpt-5.5"
PROMPT = "Say hello"
DELTA_EVENT = b"event: response.output_text.delta"
DELTA = "multicodex/completion/delta"


def seed_store(home: Path, accounts: Sequence[StoredAccount]) -> None:
    home.mkdir(parents=True, exist_ok=True)
    with Store.open(home).transaction() as doc:
        doc.accounts.extend(accounts)


def server_options(emu: EmulatorProcess, root: Path) -> dict[str, Any]:
    return {
        "home": str(root / "store"),
        "auth_url": emu.base_url,
        "backend_url": f"{emu.base_url}/backend-api",
    }


@asynccontextmanager
async def running_server(
    emu: EmulatorProcess,
    root: Path,
    accounts: Sequence[StoredAccount] = (),
    *,
    profile: Path | None = None,
    package_root: Path | None = None,
) -> AsyncIterator[RpcClient]:
    """``multicodex serve`` over a store holding ``accounts``, initialized; with
    ``profile``, sampled by py-spy into that file while in use; with ``package_root``,
    the ``multicodex`` package found there instead of the installed one."""
    seed_store(root / "store", accounts)
    extra = {"PYTHONPATH": str(package_root)} if package_root is not None else None
    client = await RpcClient.start(
        server_env(root, extra), root / "server-stderr.log", SERVE, record=False
    )
    try:
        await client.initialize(server_options(emu, root))
        with recording(client.process.pid, profile):
            yield client
    finally:
        await client.stop()


@dataclass
class StreamTrace:
    """When each text delta of one stream reached the client."""

    sent: float = 0.0
    deltas: list[float] = field(default_factory=list)
    wall: list[float] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)


class DeltaRecorder:
    """Collects every stream's delta arrival times from the delta notifications."""

    def __init__(self, client: RpcClient) -> None:
        self.traces: dict[str, StreamTrace] = {}
        client.handlers[DELTA] = self._on_delta

    def trace(self, stream_id: str) -> StreamTrace:
        trace = self.traces[stream_id] = StreamTrace()
        return trace

    def _on_delta(self, params: dict[str, Any], stamp: Stamp) -> None:
        trace = self.traces.get(params["stream_id"])
        if trace is None:
            return
        kind = params["kind"]
        trace.kinds.append(kind)
        if kind == "text":
            trace.deltas.append(stamp[0])
            trace.wall.append(stamp[1])


async def complete(
    client: RpcClient, recorder: DeltaRecorder, stream_id: str, **params: Any
) -> tuple[StreamTrace, dict[str, Any]]:
    trace = recorder.trace(stream_id)
    msg_id = await client.send_request(
        "multicodex/complete",
        {"stream_id": stream_id, "model": MODEL, "prompt": PROMPT, **params},
    )
    reply = await client.reply(msg_id, within=120.0)
    trace.sent = client.sent_at(msg_id)
    return trace, reply.result


def direct_body() -> dict[str, Any]:
    """The body the server sends for ``prompt`` (same size on the wire)."""
    return {
        "model": MODEL,
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": PROMPT}]}
        ],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "store": False,
        "stream": True,
        "prompt_cache_key": "bench",
        "instructions": "",
    }


class DirectClient:
    """Streams straight from the emulator with httpx2: the baseline of every relay."""

    def __init__(self, emu: EmulatorProcess, account: StoredAccount) -> None:
        self._url = f"{emu.base_url}/backend-api/codex/responses"
        self._headers = {
            "Authorization": f"Bearer {account.tokens.access_token}",
            "chatgpt-account-id": account.account_id or "",
            "Accept": "text/event-stream",
            "Accept-Encoding": "identity",  # the emulator compresses when asked, as the backend
            "Content-Type": "application/json",
        }
        self.http = httpx2.AsyncClient(timeout=120.0)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def stream(self) -> StreamTrace:
        """One request, read to the end; each text delta is stamped with the arrival of
        the chunk that carried its event line."""
        trace = StreamTrace()
        body = json.dumps(direct_body(), separators=(",", ":")).encode()
        trace.sent = time.perf_counter()
        async with self.http.stream("POST", self._url, content=body, headers=self._headers) as r:
            async for chunk in r.aiter_raw():
                now = time.perf_counter()
                count = chunk.count(DELTA_EVENT)
                if count:
                    trace.deltas.extend([now] * count)
                    trace.wall.extend([time.time()] * count)
        return trace
