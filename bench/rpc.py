"""A lean JSON-RPC client for ``multicodex serve`` over a child's stdio, built to measure.

Every frame is stamped with ``time.perf_counter()`` (and ``time.time()``) when the chunk
that completed it was read, so the client's own parsing does not inflate arrival times.
Notifications go to per-method callbacks; responses resolve futures.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

READ_CHUNK = 1 << 18
DEFAULT_TIMEOUT = 60.0
SERVER_COMMAND = ("-m", "multicodex", "serve")
DELTA = "multicodex/completion/delta"

Stamp = tuple[float, float]
"""(perf_counter, wall clock) at arrival."""
NotificationHandler = Callable[[dict[str, Any], Stamp], None]


class RpcFailure(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.error = error


def frame(message: Any) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


class FrameSplitter:
    """Bytes in, complete LSP frame bodies out."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer
        buffer += data
        bodies: list[bytes] = []
        position = 0
        while True:
            header_end = buffer.find(b"\r\n\r\n", position)
            if header_end < 0:
                break
            length = _content_length(bytes(buffer[position:header_end]))
            start = header_end + 4
            if len(buffer) < start + length:
                break
            bodies.append(bytes(buffer[start : start + length]))
            position = start + length
        del buffer[:position]
        return bodies


def _content_length(header: bytes) -> int:
    for line in header.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError(f"frame header without Content-Length: {header!r}")


def server_env(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """No MultiCodex, Codex CLI or pi state of the real user reaches the server."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root / "user"),
        "CODEX_HOME": str(root / "user" / ".codex"),
        "PI_CODING_AGENT_DIR": str(root / "user" / ".pi" / "agent"),
    }
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL"):
        if name in os.environ:
            env[name] = os.environ[name]
    env.update(extra or {})
    return env


class RpcClient:
    def __init__(self, process: asyncio.subprocess.Process, started: float) -> None:
        self.process = process
        self.started = started
        """perf_counter just before the process was spawned."""
        self.handlers: dict[str, NotificationHandler] = {}
        self._futures: dict[int, asyncio.Future[tuple[dict[str, Any], Stamp]]] = {}
        self._ids = itertools.count(1)
        self._splitter = FrameSplitter()
        self._reader = asyncio.create_task(self._read_loop())

    @property
    def closed(self) -> asyncio.Task[None]:
        """Done once the child has closed its output."""
        return self._reader

    @classmethod
    async def start(
        cls,
        env: Mapping[str, str],
        *,
        command: Sequence[str] = SERVER_COMMAND,
        stderr_path: Path | None = None,
    ) -> RpcClient:
        stderr: Any = asyncio.subprocess.DEVNULL
        handle = None
        if stderr_path is not None:
            handle = stderr_path.open("ab")
            stderr = handle
        try:
            started = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=dict(env),
            )
        finally:
            if handle is not None:
                handle.close()
        return cls(process, started)

    async def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            chunk = await stdout.read(READ_CHUNK)
            if not chunk:
                break
            stamp = (time.perf_counter(), time.time())
            for body in self._splitter.feed(chunk):
                self._dispatch(json.loads(body), stamp)
        for future in self._futures.values():
            if not future.done():
                future.set_exception(ConnectionError("the server closed its output"))

    def _dispatch(self, message: dict[str, Any], stamp: Stamp) -> None:
        method = message.get("method")
        if method is None:
            future = self._futures.pop(message.get("id"), None)  # type: ignore[arg-type]
            if future is not None and not future.done():
                future.set_result((message, stamp))
            return
        if "id" in message:  # a request from the server (window/showDocument)
            reply = {"jsonrpc": "2.0", "id": message["id"], "result": {"success": True}}
            self._write(frame(reply))
            return
        handler = self.handlers.get(method)
        if handler is not None:
            handler(message.get("params") or {}, stamp)

    def _write(self, data: bytes) -> None:
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(data)

    async def send(self, method: str, params: Any = None) -> tuple[int, float]:
        """Send a request; its id and the perf_counter just before the write."""
        msg_id = next(self._ids)
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        self._futures[msg_id] = asyncio.get_running_loop().create_future()
        data = frame(message)
        sent = time.perf_counter()
        self._write(data)
        stdin = self.process.stdin
        assert stdin is not None
        await stdin.drain()
        return msg_id, sent

    async def reply(
        self, msg_id: int, *, within: float = DEFAULT_TIMEOUT
    ) -> tuple[dict[str, Any], Stamp]:
        future = self._futures.get(msg_id)
        if future is None:
            raise KeyError(msg_id)
        message, stamp = await asyncio.wait_for(future, within)
        if "error" in message:
            raise RpcFailure(message["error"])
        return message["result"], stamp

    async def request(
        self, method: str, params: Any = None, *, within: float = DEFAULT_TIMEOUT
    ) -> Any:
        msg_id, _ = await self.send(method, params)
        result, _ = await self.reply(msg_id, within=within)
        return result

    async def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        self._write(frame(message))
        stdin = self.process.stdin
        assert stdin is not None
        await stdin.drain()

    async def initialize(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        params: dict[str, Any] = {"processId": os.getpid(), "rootUri": None, "capabilities": {}}
        if options is not None:
            params["initializationOptions"] = dict(options)
        result = await self.request("initialize", params)
        await self.notify("initialized", {})
        return dict(result)

    async def stop(self, within: float = 15.0) -> None:
        with contextlib.suppress(Exception):
            await self.request("shutdown", within=within)
            await self.notify("exit")
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            await self.process.wait()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
