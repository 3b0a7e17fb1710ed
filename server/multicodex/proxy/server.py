"""`ProxyServer`: the proxy's HTTP server on 127.0.0.1, in the running event loop.

uvicorn carries the HTTP/1.1 connections (keep-alive, bounded connections and header
sizes); the application under it is the proxy's own ASGI callable, with no framework on
the path of a streamed answer. Start it with ``await start()`` (or ``async with``); it
serves until ``aclose()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable, Generator

import uvicorn

from multicodex.app import App
from multicodex.proxy.http_protocol import HeldHeadProtocol
from multicodex.proxy.relay import Relay
from multicodex.proxy.routes import ProxyApp, ProxyLimits
from multicodex.proxy.security import Guard, load_or_create_secret
from multicodex.proxy.translate import TurnStates
from multicodex.proxy.upstream import Upstream

LOOPBACK = "127.0.0.1"
BASE_PATH = "/backend-api"
KEEP_ALIVE_SECONDS = 75.0
SHUTDOWN_SECONDS = 5.0


class _Embedded(uvicorn.Server):
    """uvicorn inside a process that owns its signals (the CLI, the editor's server)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ProxyServer:
    """The proxy on an App's pool. ``base_url`` is known once ``start()`` returned."""

    def __init__(
        self,
        app: App,
        *,
        port: int = 0,
        secret: str | None = None,
        limits: ProxyLimits | None = None,
        on_served: Callable[[str], None] | None = None,
    ) -> None:
        """``on_served``: called with the serving account's key as each answer starts."""
        self._app = app
        self._on_served = on_served
        self._port = port
        self.secret = secret or load_or_create_secret(app.store.home)
        self._limits = limits or ProxyLimits()
        self._server: _Embedded | None = None
        self._task: asyncio.Task[None] | None = None
        self.port: int | None = None

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("the proxy has not started")
        return f"http://{LOOPBACK}:{self.port}{BASE_PATH}"

    async def start(self) -> str:
        sock = _bind(self._port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self._asgi(self.port),
            log_config=None,
            access_log=False,
            lifespan="off",
            ws="none",
            http=HeldHeadProtocol,
            limit_concurrency=self._limits.max_connections,
            timeout_keep_alive=int(KEEP_ALIVE_SECONDS),
            timeout_graceful_shutdown=int(SHUTDOWN_SECONDS),
            server_header=False,
            proxy_headers=False,  # the peer is the client (loopback only): no header says otherwise
        )
        server = self._server = _Embedded(config)
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._task.done():
                self._task.result()  # its failure, if it failed
                raise RuntimeError("the proxy stopped while starting")
            await asyncio.sleep(0.005)
        return self.base_url

    async def aclose(self) -> None:
        server, task = self._server, self._task
        if server is None or task is None:
            return
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self._server = self._task = None

    async def wait_closed(self) -> None:
        """Until the server stops (it stops on ``aclose``)."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def __aenter__(self) -> ProxyServer:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _asgi(self, port: int) -> ProxyApp:
        app = self._app
        turns = TurnStates()
        return ProxyApp(
            Guard(self.secret, port),
            Relay(app.engine, turns, self._on_served),
            Upstream(app.pool, app.http, app.endpoints),
            turns,
            self._limits,
        )


def _bind(port: int) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio then sets TCP_NODELAY on accepted connections, so
    # small SSE writes are not held back by Nagle's algorithm.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


logging.getLogger("uvicorn.error").addFilter(
    lambda record: not str(record.msg).startswith("Unsupported upgrade request")
)
