"""uvicorn's httptools protocol with each answer's head held until its first body write.

uvicorn writes a response's status line and headers on ``http.response.start`` and each
body chunk on ``http.response.body``: two sends for an answer's start, so the client is
woken twice (the second time for the bytes it waits for). Here the head waits for the
first body write (every answer has one, if only the end of a chunked body) or for the
connection's close, and both leave in one send.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

CONTINUE = b"HTTP/1.1 100 "
"""An interim ``100 Continue`` goes out at once: the client waits for it to send the body."""


class HeldHeadTransport:
    """One request's view of the connection: its first write (the head) waits for the
    next; everything else is the connection's own transport."""

    __slots__ = ("_armed", "_held", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held = b""
        self._armed = True

    def write(self, data: bytes) -> None:
        if self._armed and not data.startswith(CONTINUE):
            self._armed = False
            self._held = data
            return
        if self._held:
            data, self._held = self._held + data, b""
        self._transport.write(data)

    def close(self) -> None:
        if self._held:
            self._transport.write(self._held)
            self._held = b""
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HeldHeadProtocol(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        cycle = self.cycle
        if cycle is not None and cycle.transport is self.transport:
            cycle.transport = HeldHeadTransport(self.transport)  # type: ignore[assignment]
