"""Sending an event stream over ASGI while watching for the client going away.

The stream is produced by one task and the connection watched by another, so a client
that disconnects stops generation at once (even mid-sleep) and the log records when.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from multicodex_emulator.models import RecordedRequest
from multicodex_emulator.scope import connection_transport
from multicodex_emulator.sse_events import Emitted, StreamDrop, sse_frame

_DISCONNECT_GRACE = 2.0


class EventStreamResponse(Response):
    media_type = "text/event-stream"

    def __init__(
        self,
        events: AsyncIterator[Emitted],
        headers: Mapping[str, str],
        record: RecordedRequest | None,
        on_client_disconnect: Callable[[], None],
    ) -> None:
        super().__init__(status_code=200, headers=dict(headers))
        del self.headers["content-length"]  # streamed: chunked transfer encoding
        self.headers["content-type"] = "text/event-stream; charset=utf-8"
        self.headers["cache-control"] = "no-cache"
        self._events = events
        self._record = record
        self._on_client_disconnect = on_client_disconnect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        watcher = asyncio.create_task(_until_disconnect(receive))
        pump = asyncio.create_task(self._pump(send))
        await asyncio.wait({watcher, pump}, return_when=asyncio.FIRST_COMPLETED)
        if not pump.done():
            pump.cancel()
            await asyncio.gather(pump, return_exceptions=True)
            self._note_client_disconnect()
            return
        failure = pump.exception()
        if isinstance(failure, StreamDrop) and failure.mode == "reset":
            await drop_connection(scope, watcher)
            return
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        if failure is not None and not isinstance(failure, StreamDrop):
            raise failure
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _pump(self, send: Send) -> None:
        try:
            async for emitted in self._events:
                batch = emitted if isinstance(emitted, list) else [emitted]
                body = b"".join(sse_frame(event) for event in batch)
                await send({"type": "http.response.body", "body": body, "more_body": True})
                for event in batch:
                    self._note_event(event["type"])
        finally:
            aclose = getattr(self._events, "aclose", None)
            if aclose is not None:
                await aclose()

    def _note_event(self, event_type: str) -> None:
        if self._record is None:
            return
        if event_type == "response.output_text.delta":
            self._record.deltas_sent += 1
        elif event_type in (
            "response.completed",
            "response.incomplete",
            "response.failed",
            "error",
        ):
            self._record.terminal_event = event_type

    def _note_client_disconnect(self) -> None:
        if self._record is not None:
            self._record.client_disconnected = True
            self._record.disconnected_at = time.time()
        self._on_client_disconnect()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def drop_connection(scope: Scope, watcher: asyncio.Task[None] | None = None) -> None:
    """Close the TCP connection under the response without completing it.

    Waits until the server has noticed, so it does not complain about an unfinished
    response. Without access to the transport, raising makes the server close it.
    """
    transport = connection_transport(scope)
    if transport is None:
        raise ConnectionAbortedError("emulated connection drop")
    transport.close()
    if watcher is not None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(watcher), _DISCONNECT_GRACE)
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)


class DroppedResponse(Response):
    """No answer at all: the connection is closed under the request."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await drop_connection(scope, asyncio.create_task(_until_disconnect(receive)))
