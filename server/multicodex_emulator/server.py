"""Running the ASGI app with uvicorn on 127.0.0.1, optionally over TLS with a test CA."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Generator
from dataclasses import dataclass
from pathlib import Path

import trustme
import uvicorn
from starlette.types import ASGIApp

LOOPBACK = "127.0.0.1"
_STARTUP_TIMEOUT = 15.0
_GRACEFUL_SHUTDOWN_SECONDS = 2.0
_SHUTDOWN_POLL_SECONDS = 0.005
_UNINTERESTING_WARNINGS = ("Unsupported upgrade request", "No supported WebSocket library")


@dataclass(frozen=True)
class TlsMaterials:
    """A throw-away CA and a server certificate for 127.0.0.1 and localhost."""

    directory: Path
    ca_pem: Path
    server_pem: Path
    """Private key and certificate chain in one PEM file."""

    @classmethod
    def create(cls) -> TlsMaterials:
        ca = trustme.CA(organization_name="MultiCodex emulator")
        leaf = ca.issue_cert(LOOPBACK, "localhost")
        directory = Path(tempfile.mkdtemp(prefix="multicodex-emulator-tls-"))
        materials = cls(directory, directory / "ca.pem", directory / "server.pem")
        ca.cert_pem.write_to_path(str(materials.ca_pem))
        leaf.private_key_and_cert_chain_pem.write_to_path(str(materials.server_pem))
        materials.server_pem.chmod(0o600)
        return materials

    def remove(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn for embedding: no signal handlers (the embedder owns signals), and a main
    loop that wakes on `request_exit` instead of polling every 0.1 s, so that stopping
    is quick (tests start and stop a server each)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._exit_requested = asyncio.Event()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield

    def request_exit(self) -> None:
        self.should_exit = True
        self._exit_requested.set()

    async def main_loop(self) -> None:
        # on_tick(0) refreshes the Date header and reports whether to exit.
        while not await self.on_tick(0):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit_requested.wait(), 1.0)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop listening, let running responses finish (bounded), then cancel the rest.

        Same steps as uvicorn's own shutdown, but polling every few milliseconds
        instead of a fixed 0.1 s pause.
        """
        for listener in self.servers:
            listener.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _GRACEFUL_SHUTDOWN_SECONDS
        # uvicorn offers no event for "connections drained", hence the short poll.
        while self._busy() and loop.time() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(_SHUTDOWN_POLL_SECONDS)
        for task in list(self.server_state.tasks):
            task.cancel()
        for listener in self.servers:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(listener.wait_closed(), _GRACEFUL_SHUTDOWN_SECONDS)

    def _busy(self) -> bool:
        return bool(self.server_state.connections or self.server_state.tasks)


class _DropUpgradeWarnings(logging.Filter):
    """The WebSocket upgrade is answered 426 on purpose; uvicorn need not warn about it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_UNINTERESTING_WARNINGS)


_UPGRADE_FILTER = _DropUpgradeWarnings()


def bind_loopback(port: int) -> socket.socket:
    # An explicit IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections;
    # without it every response waits ~40 ms on Nagle + delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((LOOPBACK, port))
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serve_app(
    app: ASGIApp, port: int, tls: TlsMaterials | None, on_stop: Callable[[], None]
) -> AsyncIterator[str]:
    """Serve `app` in the running loop; yields the base URL. `on_stop` runs before shutdown."""
    logging.getLogger("uvicorn.error").addFilter(_UPGRADE_FILTER)
    sock = bind_loopback(port)
    config = uvicorn.Config(
        app,
        host=LOOPBACK,
        port=sock.getsockname()[1],
        log_config=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        ws="none",
        http="h11",
        ssl_certfile=str(tls.server_pem) if tls else None,
    )
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await _until_started(server, task)
        scheme = "https" if tls else "http"
        yield f"{scheme}://{LOOPBACK}:{sock.getsockname()[1]}"
    finally:
        on_stop()
        server.request_exit()
        await asyncio.gather(task, return_exceptions=True)
        sock.close()


async def _until_started(server: _EmbeddedServer, task: asyncio.Task[None]) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _STARTUP_TIMEOUT
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("the emulator server stopped during startup")
        if loop.time() > deadline:
            raise TimeoutError("the emulator server did not start in time")
        await asyncio.sleep(0.01)
