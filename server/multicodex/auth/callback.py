"""The loopback HTTP server the browser is redirected to at the end of a login.

It answers exactly one path (``/auth/callback``) with a short human page, binds
127.0.0.1 only, and hands the query parameters to a handler that decides the reply.
One request per connection; every connection is bounded in time and closed after
the answer.

Connections are bounded in number too: a program that opens many and sends nothing
must neither exhaust file descriptors nor keep the browser's redirect out. At the cap,
a new connection pushes out the oldest one that has not sent its request yet; only when
every held connection is being answered is the newcomer closed unanswered.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
from collections.abc import Awaitable, Callable, Sequence
from http import HTTPStatus
from typing import Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel

from multicodex.auth.errors import CallbackPortsBusy

LOOPBACK_HOST = "127.0.0.1"
CALLBACK_PATH = "/auth/callback"
_MAX_HEAD_BYTES = 16 * 1024
MAX_CONNECTIONS = 32
REQUEST_TIMEOUT_SECONDS = 10.0
"""How long a connection may take to send its request head (and to take the answer)."""


class CallbackReply(BaseModel):
    """What the browser is shown."""

    status: int = 200
    title: str
    message: str


CallbackHandler = Callable[[dict[str, str]], Awaitable[CallbackReply]]
Stage = Literal["reading", "answering", "dropped"]


class LoopbackCallbackServer:
    """Listens on the first free port of ``ports`` until closed."""

    def __init__(
        self,
        handler: CallbackHandler,
        *,
        ports: Sequence[int],
        path: str = CALLBACK_PATH,
        request_timeout: float = REQUEST_TIMEOUT_SECONDS,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        if not ports:
            raise ValueError("at least one callback port is needed")
        if max_connections < 1:
            raise ValueError("at least one connection must be allowed")
        self._handler = handler
        self._ports = tuple(ports)
        self._path = path
        self._request_timeout = request_timeout
        self._max_connections = max_connections
        self._server: asyncio.Server | None = None
        self._port: int | None = None
        self._connections: dict[asyncio.Task[None], Stage] = {}
        """Open connections, oldest first, with how far each one got."""

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the callback server is not started")
        return self._port

    @property
    def open_connections(self) -> int:
        """Connections held now, not counting those already being dropped."""
        return sum(stage != "dropped" for stage in self._connections.values())

    async def start(self) -> int:
        """Bind the first port that is free; raise `CallbackPortsBusy` if none is."""
        failures: list[str] = []
        for port in self._ports:
            try:
                self._server = await asyncio.start_server(
                    self._serve, host=LOOPBACK_HOST, port=port, limit=_MAX_HEAD_BYTES
                )
            except OSError as exc:
                failures.append(f"{port} ({exc.strerror or type(exc).__name__})")
                continue
            self._port = port
            return port
        raise CallbackPortsBusy(
            f"Cannot listen for the login callback on {LOOPBACK_HOST}: port "
            + ", ".join(failures)
            + ". Another login may be running; finish or cancel it, or paste the "
            "redirect URL instead."
        )

    def stop(self) -> None:
        """Stop listening and drop idle sockets; answers being written still finish."""
        if self._server is not None:
            self._server.close()
        for task, stage in self._connections.items():
            if stage == "reading":
                self._drop(task)

    def abort(self) -> None:
        """Stop listening and drop every open connection, answered or not."""
        if self._server is not None:
            self._server.close()
        for task in self._connections:
            self._drop(task)

    async def aclose(self, grace: float = 5.0) -> None:
        """`stop`, then wait (bounded by ``grace``) for answers in flight. Idempotent."""
        self.stop()
        pending = [task for task in self._connections if task is not asyncio.current_task()]
        if pending:
            _done, late = await asyncio.wait(pending, timeout=grace)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None  # start_server runs every connection in a task of its own
        try:
            if self._admit(task):
                await self._converse(task, reader, writer)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass  # the browser went away, was too slow or sent garbage; nothing to answer
        finally:
            self._connections.pop(task, None)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    def _admit(self, task: asyncio.Task[None]) -> bool:
        """Hold ``task``'s connection, dropping the oldest silent one if at the cap."""
        held = [t for t, stage in self._connections.items() if stage != "dropped"]
        if len(held) >= self._max_connections:
            silent = next((t for t in held if self._connections[t] == "reading"), None)
            if silent is None:
                return False
            self._drop(silent)
        self._connections[task] = "reading"
        return True

    def _drop(self, task: asyncio.Task[None]) -> None:
        self._connections[task] = "dropped"
        task.cancel()

    async def _converse(
        self, task: asyncio.Task[None], reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        async with asyncio.timeout(self._request_timeout):
            head = await reader.readuntil(b"\r\n\r\n")
        self._connections[task] = "answering"
        # Not under the request timeout: the handler may be exchanging the code,
        # which has its own bound, and must not be cut off half-way.
        reply = await self._answer(head)
        async with asyncio.timeout(self._request_timeout):
            writer.write(_render(reply))
            await writer.drain()

    async def _answer(self, head: bytes) -> CallbackReply:
        request_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3:
            return CallbackReply(status=400, title="Bad request", message="Malformed request.")
        method, target, _version = parts
        if method != "GET":
            return CallbackReply(status=405, title="Not allowed", message="Only GET is served.")
        url = urlsplit(target)
        if url.path != self._path:
            return CallbackReply(status=404, title="Not found", message="Nothing here.")
        return await self._handler(dict(parse_qsl(url.query, keep_blank_values=True)))


def _render(reply: CallbackReply) -> bytes:
    title = html.escape(reply.title)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>MultiCodex: {title}</title></head>"
        "<body style='font-family:sans-serif;margin:3em'>"
        f"<h1>{title}</h1><p>{html.escape(reply.message)}</p></body></html>"
    ).encode()
    try:
        phrase = HTTPStatus(reply.status).phrase
    except ValueError:
        phrase = "Status"
    head = (
        f"HTTP/1.1 {reply.status} {phrase}\r\n"
        "Content-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(page)}\r\n"
        "Cache-Control: no-store\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")
    return head + page
