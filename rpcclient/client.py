"""The JSON-RPC client for a server on a child process's stdin and stdout.

It keeps every message the server sends in arrival order (tests check that deltas come
before results), stamps each with the moment the chunk that completed it was read (the
benchmarks' clock: the client's own parsing does not inflate arrival times), hands
notifications to per-method callbacks, answers the server's own requests
(window/showDocument) and writes raw bytes for malformed-input tests. Every wait is
bounded.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rpcclient.framing import FrameSplitter, encode
from rpcclient.server_process import SERVER_MODULE

DEFAULT_TIMEOUT = 30.0
READ_CHUNK = 1 << 18
STDERR_TAIL = 2000
_POLL = 0.01

Stamp = tuple[float, float]
"""(perf_counter, wall clock) when the chunk completing a message was read."""
NotificationHandler = Callable[[dict[str, Any], Stamp], None]
T = TypeVar("T")


class RpcError(Exception):
    """The server answered a request with an error."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code: int = error.get("code", 0)
        self.message: str = error.get("message", "")
        self.data: Any = error.get("data")


@dataclass(frozen=True)
class Reply:
    """A response and when it arrived."""

    message: dict[str, Any]
    arrived: Stamp

    @property
    def result(self) -> Any:
        if "error" in self.message:
            raise RpcError(self.message["error"])
        return self.message["result"]


def _key(msg_id: Any) -> str:
    # As JSON: ids may be of any type, and 1, True and "1" are three different ids.
    return json.dumps(msg_id)


class RpcClient:
    def __init__(
        self,
        process: asyncio.subprocess.Process,
        stderr_path: Path | None,
        started: float,
        *,
        record: bool = True,
    ) -> None:
        self.process = process
        self.stderr_path = stderr_path
        self.started = started
        """perf_counter just before the process was spawned."""
        self.record = record
        self.messages: list[dict[str, Any]] = []
        """Everything the server sent, in order (responses, notifications, requests), when
        recording."""
        self.handlers: dict[str, NotificationHandler] = {}
        """Called with each notification of that method, as it arrives."""
        self.shown_documents: list[str] = []
        self.message_requests: list[dict[str, Any]] = []
        """The params of every window/showMessageRequest, in order."""
        self.message_choice: str | None = None
        """The action title answered to window/showMessageRequest (None: dismissed)."""
        self.message_answer_delay = 0.0
        """Seconds a user takes to answer a window/showMessageRequest."""
        self._ids = itertools.count(1)
        self._sent: dict[str, float] = {}
        self._replies: dict[str, Reply] = {}
        self._waiters: dict[str, asyncio.Future[None]] = {}
        self._splitter = FrameSplitter()
        self._reader = asyncio.create_task(self._read_loop())

    @classmethod
    async def start(
        cls,
        env: Mapping[str, str],
        stderr_path: Path | None = None,
        command: Sequence[str] = SERVER_MODULE,
        *,
        record: bool = True,
    ) -> RpcClient:
        """Start ``python *command`` (by default the server module) with exactly ``env``;
        its stderr goes to ``stderr_path`` (discarded without one). ``record=False`` keeps
        no log of the messages (holding tens of thousands of deltas slows the reading a
        benchmark measures): replies still come through reply(), notifications through
        ``handlers``."""
        with contextlib.ExitStack() as files:
            stderr: Any = asyncio.subprocess.DEVNULL
            if stderr_path is not None:
                stderr = files.enter_context(stderr_path.open("wb"))
            started = time.perf_counter()
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                *command,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=stderr,
                env=dict(env),
            )
        return cls(process, stderr_path, started, record=record)

    @property
    def closed(self) -> asyncio.Task[None]:
        """Done once the server has closed its output."""
        return self._reader

    # -- sending ----------------------------------------------------------------------------

    async def write(self, data: bytes) -> None:
        """Raw bytes: any number of frames, or something that is not a frame at all."""
        stdin = self.process.stdin
        assert stdin is not None
        stdin.write(data)
        await stdin.drain()

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
        data = encode(message)
        self._sent[_key(msg_id)] = time.perf_counter()
        await self.write(data)
        return msg_id

    def sent_at(self, msg_id: Any) -> float:
        """perf_counter just before request ``msg_id`` was written by send_request."""
        return self._sent[_key(msg_id)]

    async def request(
        self, method: str, params: Any = None, *, within: float = DEFAULT_TIMEOUT
    ) -> Any:
        """The result, or RpcError with the server's error."""
        msg_id = await self.send_request(method, params)
        return (await self.reply(msg_id, within=within)).result

    async def notify(self, method: str, params: Any = None) -> None:
        message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            message["params"] = params
        await self.send(message)

    # -- receiving --------------------------------------------------------------------------

    def response_to(self, msg_id: Any) -> dict[str, Any] | None:
        """The first response carrying ``msg_id``, if one has arrived."""
        reply = self._replies.get(_key(msg_id))
        return None if reply is None else reply.message

    async def response(self, msg_id: Any, *, within: float = DEFAULT_TIMEOUT) -> dict[str, Any]:
        return (await self.reply(msg_id, within=within)).message

    async def reply(self, msg_id: Any, *, within: float = DEFAULT_TIMEOUT) -> Reply:
        """The first response carrying ``msg_id`` (whoever sent the request), once it is
        here; TimeoutError after ``within`` s, ConnectionError if the server closed first."""
        key = _key(msg_id)
        if key not in self._replies:
            if self._reader.done():
                raise ConnectionError(f"server closed stdout; stderr: {self._stderr_tail()}")
            waiter = self._waiters.setdefault(key, asyncio.get_running_loop().create_future())
            try:
                await asyncio.wait_for(asyncio.shield(waiter), within)
            except TimeoutError:
                tail = self._stderr_tail()
                raise TimeoutError(
                    f"no response {msg_id} within {within:g} s; stderr: {tail}"
                ) from None
            if key not in self._replies:
                raise ConnectionError(f"server closed stdout; stderr: {self._stderr_tail()}")
        return self._replies[key]

    def notifications(self, method: str) -> list[dict[str, Any]]:
        if not self.record:
            raise ValueError("this client keeps no log of notifications (record=False)")
        return [m["params"] for m in self.messages if m.get("method") == method and "id" not in m]

    async def notification(
        self,
        method: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _p: True,
        *,
        within: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """The latest ``method`` notification satisfying ``predicate``, once there is one."""

        def found() -> dict[str, Any] | None:
            return next((p for p in reversed(self.notifications(method)) if predicate(p)), None)

        return await self.wait_for(found, within, method)

    async def wait_for(self, probe: Callable[[], T | None], within: float, what: str) -> T:
        """The first value of ``probe()`` that is neither None nor False (polled)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            value = probe()
            if value is not None and value is not False:
                return value
            if loop.time() > deadline:
                raise TimeoutError(f"no {what} within {within:g} s; stderr: {self._stderr_tail()}")
            if self._reader.done() and probe() is None:
                raise ConnectionError(f"server closed stdout; stderr: {self._stderr_tail()}")
            await asyncio.sleep(_POLL)

    def stderr(self) -> str:
        if self.stderr_path is None:
            return ""
        try:
            return self.stderr_path.read_text(errors="replace")
        except OSError:
            return ""

    def _stderr_tail(self) -> str:
        return self.stderr()[-STDERR_TAIL:]

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
        """Close stdin and wait for the exit code (killing the process if it hangs)."""
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.close()
        try:
            code = await asyncio.wait_for(self.process.wait(), within)
        except TimeoutError:
            self.process.kill()
            code = await self.process.wait()
        self._reader.cancel()
        await asyncio.gather(self._reader, return_exceptions=True)
        return code

    # -- the reader -------------------------------------------------------------------------

    async def _read_loop(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        try:
            while chunk := await stdout.read(READ_CHUNK):
                stamp = (time.perf_counter(), time.time())
                for body in self._splitter.feed(chunk):
                    self._dispatch(json.loads(body), stamp)
        finally:
            for waiter in self._waiters.values():
                if not waiter.done():
                    waiter.set_result(None)
            self._waiters.clear()

    def _dispatch(self, message: dict[str, Any], stamp: Stamp) -> None:
        if self.record:
            self.messages.append(message)
        method = message.get("method")
        if method is None:
            self._arrived(message, stamp)
        elif "id" in message:
            self._answer_server_request(message)
        else:
            handler = self.handlers.get(method)
            if handler is not None:
                handler(message.get("params") or {}, stamp)

    def _arrived(self, message: dict[str, Any], stamp: Stamp) -> None:
        if "result" not in message and "error" not in message:
            return
        key = _key(message.get("id"))
        self._replies.setdefault(key, Reply(message, stamp))
        waiter = self._waiters.pop(key, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _answer_server_request(self, message: dict[str, Any]) -> None:
        result: Any = None
        if message["method"] == "window/showDocument":
            self.shown_documents.append(message["params"]["uri"])
            result = {"success": True}
        elif message["method"] == "window/showMessageRequest":
            self.message_requests.append(message["params"])
            result = {"title": self.message_choice} if self.message_choice is not None else None
            if self.message_answer_delay > 0:
                loop = asyncio.get_running_loop()
                loop.call_later(self.message_answer_delay, self._answer, message["id"], result)
                return
        self._answer(message["id"], result)

    def _answer(self, request_id: Any, result: Any) -> None:
        stdin = self.process.stdin
        if stdin is not None and not stdin.is_closing():
            stdin.write(encode({"jsonrpc": "2.0", "id": request_id, "result": result}))
