"""A small JSON-RPC client for `multicodex serve` over a subprocess's pipes.

It records every message the server sends, in arrival order, so tests can check ordering
(deltas before results), answers the server's own requests (window/showDocument), and can
write raw bytes for malformed-input tests. Every wait is bounded.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

DEFAULT_TIMEOUT = 30.0
SERVER_MODULE = ("-m", "multicodex.server")
CLI_SERVE = ("-m", "multicodex", "serve", "--stdio")
_POLL = 0.01


class RpcError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code: int = error.get("code", 0)
        self.message: str = error.get("message", "")
        self.data: Any = error.get("data")


def frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: Any) -> bytes:
    return frame(json.dumps(message).encode())


class RpcClient:
    def __init__(self, process: asyncio.subprocess.Process, stderr_path: Path) -> None:
        self.process = process
        self.stderr_path = stderr_path
        self.messages: list[dict[str, Any]] = []
        """Everything the server sent, in order (responses, notifications, requests)."""
        self.shown_documents: list[str] = []
        self._ids = itertools.count(1)
        self._reader = asyncio.create_task(self._read_loop())

    @classmethod
    async def start(
        cls,
        env: Mapping[str, str],
        stderr_path: Path,
        command: tuple[str, ...] = SERVER_MODULE,
    ) -> RpcClient:
        """Start the server; by default ``python -m multicodex.server`` (what
        ``multicodex serve`` runs), or ``command`` after ``python``."""
        with stderr_path.open("wb") as stderr:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=dict(env),
                limit=2**26,
            )
        return cls(process, stderr_path)

    # -- sending ----------------------------------------------------------------------------

    async def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        await self.process.stdin.drain()

    async def send(self, message: Any) -> None:
        await self.write(encode(message))

    def next_id(self) -> int:
        return next(self._ids)

    async def send_request(self, method: str, params: Any = None, msg_id: Any = None) -> Any:
        """Send a request without waiting; returns its id."""
        msg_id = self.next_id() if msg_id is None else msg_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": msg_id, "method": method}
        if params is not None:
            message["params"] = params
        await self.send(message)
        return msg_id

    async def request(
        self, method: str, params: Any = None, *, within: float = DEFAULT_TIMEOUT
    ) -> Any:
        """The result, or RpcError with the server's error."""
        msg_id = await self.send_request(method, params)
        response = await self.response(msg_id, within=within)
        if "error" in response:
            raise RpcError(response["error"])
        return response["result"]

    async def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self.send(message)

    # -- receiving --------------------------------------------------------------------------

    def response_to(self, msg_id: Any) -> dict[str, Any] | None:
        return next(
            (
                m
                for m in self.messages
                if m.get("id") == msg_id and "method" not in m and ("result" in m or "error" in m)
            ),
            None,
        )

    async def response(self, msg_id: Any, *, within: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        return await self.wait_for(lambda: self.response_to(msg_id), within, f"response {msg_id}")

    def notifications(self, method: str) -> list[dict[str, Any]]:
        return [m["params"] for m in self.messages if m.get("method") == method and "id" not in m]

    async def notification(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _p: True,
        *,
        within: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            return next((p for p in reversed(self.notifications(method)) if predicate(p)), None)

        return await self.wait_for(found, within, method)

    async def wait_for(self, probe: Callable[[], Any], within: float, what: str) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            value = probe()
            if value is not None and value is not False:
                return value
            if loop.time() > deadline:
                tail = self.stderr()[-2000:]
                raise TimeoutError(f"no {what} within {within:g} s; stderr: {tail}")
            if self._reader.done() and probe() is None:
                raise ConnectionError(f"server closed stdout; stderr: {self.stderr()[-2000:]}")
            await asyncio.sleep(_POLL)

    def stderr(self) -> str:
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    # -- lifecycle --------------------------------------------------------------------------

    async def initialize(
        self, options: Mapping[str, Any] | None, *, show_document: bool = True
    ) -> dict[str, Any]:
        capabilities = {"window": {"showDocument": {"support": show_document}}}
        params: dict[str, Any] = {
            "processId": os.getpid(),
            "rootUri": None,
            "capabilities": capabilities,
        }
        if options is not None:
            params["initializationOptions"] = dict(options)
        result = await self.request("initialize", params)
        await self.notify("initialized", {})
        return dict(result)

    async def stop(self, within: float = 15.0) -> int:
        """shutdown, exit, close stdin; the exit code (the process is killed if it hangs)."""
        with contextlib.suppress(Exception):
            await self.request("shutdown", within=within)
            await self.notify("exit")
        return await self.close(within)

    async def close(self, within: float = 15.0) -> int:
        if self.process.stdin is not None and not self.process.stdin.is_closing():
            self.process.stdin.close()
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        return code

    async def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = await _content_length(stdout)
            if length is None:
                return
            body = await stdout.readexactly(length)
            message = json.loads(body)
            self.messages.append(message)
            if "id" in message and "method" in message:
                await self._answer(message)

    async def _answer(self, message: dict[str, Any]) -> None:
        result: Any = None
        if message["method"] == "window/showDocument":
            self.shown_documents.append(message["params"]["uri"])
            result = {"success": True}
        await self.send({"jsonrpc": "2.0", "id": message["id"], "result": result})


async def _content_length(stdout: asyncio.StreamReader) -> int | None:
    length: int | None = None
    while True:
        line = await stdout.readline()
        if not line:
            return None
        if not line.strip():
            if length is not None:
                return length
            continue
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
