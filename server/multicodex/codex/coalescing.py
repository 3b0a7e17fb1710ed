"""An upstream connection that sends a request's head and body in one write.

httpcore writes a request's headers and its body separately: two sends (two system calls,
two wake-ups of the peer) per request. Writes here are held until the next read (the
response) or until enough is held, then go out together.
"""

# ruff: noqa: ASYNC109  (timeout parameters: the signatures are httpcore's stream interface)

from __future__ import annotations

import ssl
import typing
from collections.abc import Iterable

import httpcore2
import httpx2
from httpcore2 import AsyncNetworkBackend, AsyncNetworkStream

from multicodex.codex.network import AsyncioBackend

HOLD_BYTES = 64 * 1024
"""More than this held goes out at once (a large upload is not gathered whole)."""


class CoalescingStream(AsyncNetworkStream):
    def __init__(self, stream: AsyncNetworkStream) -> None:
        self._stream = stream
        self._held: list[bytes] = []
        self._held_size = 0

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        await self._flush(timeout)
        return await self._stream.read(max_bytes, timeout)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._held.append(buffer)
        self._held_size += len(buffer)
        if self._held_size > HOLD_BYTES:
            await self._flush(timeout)

    async def aclose(self) -> None:
        self._held.clear()
        await self._stream.aclose()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        await self._flush(timeout)
        return CoalescingStream(await self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> typing.Any:
        return self._stream.get_extra_info(info)

    async def _flush(self, timeout: float | None) -> None:
        if self._held:
            data = self._held[0] if len(self._held) == 1 else b"".join(self._held)
            self._held.clear()
            self._held_size = 0
            await self._stream.write(data, timeout)


class CoalescingBackend(AsyncNetworkBackend):
    def __init__(self, backend: AsyncNetworkBackend) -> None:
        self._backend = backend

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> AsyncNetworkStream:
        stream = await self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return CoalescingStream(stream)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> AsyncNetworkStream:
        return CoalescingStream(
            await self._backend.connect_unix_socket(path, timeout, socket_options)
        )

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


UPSTREAM_LIMITS = httpx2.Limits(max_connections=256, max_keepalive_connections=128)
"""Up to 256 streams at once (httpx's default of 100 made the 101st wait for a free
connection, its first byte held back by others' answers; a cap stays, so that a flood of
requests cannot use up the process's file descriptors, which the store and its refresh
journal need), and up to 128 connections kept open between bursts (the default kept 20:
a burst of parallel requests paid a new connection, a TLS handshake with the real
backend, for each one past the 20th)."""


def upstream_client(timeout: float) -> httpx2.AsyncClient:
    """The shared client for the backend and the auth server: its connections on
    asyncio's own transports (``codex/network.py``), writes coalesced."""
    transport = DeferredTransport(UPSTREAM_LIMITS)
    return httpx2.AsyncClient(timeout=timeout, limits=UPSTREAM_LIMITS, transport=transport)


class DeferredTransport(httpx2.AsyncBaseTransport):
    """httpx's own transport, built at the first request instead of with the client:
    building it reads the system's trust store (about 1.5 MiB resident), which a server
    that has not been asked to reach upstream yet does not need."""

    def __init__(self, limits: httpx2.Limits) -> None:
        self._limits = limits
        self._built: httpx2.AsyncHTTPTransport | None = None

    @property
    def transport(self) -> httpx2.AsyncHTTPTransport:
        if self._built is None:
            built = httpx2.AsyncHTTPTransport(limits=self._limits)
            pool = getattr(built, "_pool", None)
            if isinstance(pool, httpcore2.AsyncConnectionPool):
                pool._network_backend = CoalescingBackend(AsyncioBackend())
            self._built = built
        return self._built

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self.transport.handle_async_request(request)

    async def aclose(self) -> None:
        if self._built is not None:
            await self._built.aclose()
