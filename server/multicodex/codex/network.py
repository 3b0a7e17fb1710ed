"""httpcore's network streams on asyncio's own transports, without anyio in between.

anyio's socket stream pauses reading between reads (two ``epoll_ctl`` calls per read that
waits), yields to the loop once more on a read that does not wait, and builds a cancel
scope for each read's and write's timeout. Here a protocol keeps what arrived, a read that
finds bytes returns them at once, and a timeout is one ``asyncio.timeout``.
"""

# ruff: noqa: ASYNC109  (timeout parameters: the signatures are httpcore's stream interface)

from __future__ import annotations

import asyncio
import socket
import ssl
import typing
from collections.abc import Iterable

from httpcore2 import (
    AsyncNetworkBackend,
    AsyncNetworkStream,
    ConnectError,
    ConnectTimeout,
    ReadError,
    ReadTimeout,
    WriteError,
    WriteTimeout,
)

READ_HIGH_WATER = 256 * 1024
"""More than this unread pauses the transport's reading until it is read."""


class _Receiver(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self._readable: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None
        self._paused = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = typing.cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_HIGH_WATER and self.transport is not None:
            self.transport.pause_reading()
        self._wake_reader()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake_reader()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake_reader()
        self.resume_writing()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        waiter, self._writable = self._writable, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def readable(self) -> None:
        waiter = self._readable = asyncio.get_running_loop().create_future()
        try:
            await waiter
        finally:
            self._readable = None

    async def drained(self) -> None:
        if self._paused:
            self._writable = asyncio.get_running_loop().create_future()
            await self._writable

    def take(self, max_bytes: int) -> bytes:
        data = bytes(self.buffer[:max_bytes])
        del self.buffer[:max_bytes]
        transport = self.transport
        if (
            transport is not None
            and len(self.buffer) <= READ_HIGH_WATER
            and not transport.is_closing()
            and not transport.is_reading()
        ):
            transport.resume_reading()
        return data

    def _wake_reader(self) -> None:
        waiter = self._readable
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class AsyncioStream(AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, receiver: _Receiver) -> None:
        self._transport = transport
        self._receiver = receiver

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        receiver = self._receiver
        if not receiver.buffer and not receiver.eof:
            try:
                async with asyncio.timeout(timeout):
                    await receiver.readable()
            except TimeoutError as exc:
                raise ReadTimeout(str(exc)) from exc
        if receiver.buffer:
            return receiver.take(max_bytes)
        if receiver.error is not None:
            raise ReadError(str(receiver.error)) from receiver.error
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise WriteError("the connection is closed")
        self._transport.write(buffer)
        try:
            async with asyncio.timeout(timeout):
                await self._receiver.drained()
        except TimeoutError as exc:
            raise WriteTimeout(str(exc)) from exc

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._receiver, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            self._transport.abort()
            raise ConnectTimeout(str(exc)) from exc
        except (OSError, ssl.SSLError) as exc:
            self._transport.abort()
            raise ConnectError(str(exc)) from exc
        if transport is None:
            raise ConnectError("the connection closed during the TLS handshake")
        self._receiver.transport = transport
        return AsyncioStream(transport, self._receiver)

    def get_extra_info(self, info: str) -> typing.Any:
        transport = self._transport
        if info == "ssl_object":
            return transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return transport.get_extra_info("sockname")
        if info == "server_addr":
            return transport.get_extra_info("peername")
        if info == "socket":
            return transport.get_extra_info("socket")
        if info == "is_readable":
            return bool(self._receiver.buffer) or self._receiver.eof or transport.is_closing()
        return None


class AsyncioBackend(AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        opening = loop.create_connection(_Receiver, host, port, local_addr=local)
        return await _connected(opening, timeout, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[typing.Any] | None = None,
    ) -> AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        opening = loop.create_unix_connection(_Receiver, path)
        return await _connected(opening, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


async def _connected(
    opening: typing.Coroutine[typing.Any, typing.Any, tuple[asyncio.Transport, _Receiver]],
    timeout: float | None,
    options: Iterable[typing.Any] | None,
) -> AsyncNetworkStream:
    """The stream of a connection being opened, its failures as httpcore's."""
    try:
        async with asyncio.timeout(timeout):
            transport, receiver = await opening
    except TimeoutError as exc:
        raise ConnectTimeout(str(exc)) from exc
    except OSError as exc:
        raise ConnectError(str(exc)) from exc
    _apply(transport, options)
    return AsyncioStream(transport, receiver)


def _apply(transport: asyncio.Transport, options: Iterable[typing.Any] | None) -> None:
    sock: socket.socket | None = transport.get_extra_info("socket")
    if sock is not None:
        for option in options or ():
            sock.setsockopt(*option)
