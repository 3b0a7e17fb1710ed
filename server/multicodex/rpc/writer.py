"""The wire's output: frames written in the event loop are gathered and written together
once the loop has run everything that was ready.

A completion relays thousands of deltas a second, most of them arriving several to a
network read; one write and flush per frame made the system calls the largest cost of
relaying. A frame is never held back longer than the current loop iteration, and a write
from anywhere but the serving loop (another thread, no loop running) goes out at once.
Serving, the stream is a `multicodex.rpc.output.WireOutput`, whose writes never block.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Protocol

log = logging.getLogger(__name__)


class ByteSink(Protocol):
    def write(self, data: bytes, /) -> object: ...

    def flush(self) -> object: ...

    def close(self) -> object: ...


class CoalescingWriter:
    """pygls' writer interface over a binary stream."""

    def __init__(self, stream: ByteSink) -> None:
        self._stream = stream
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        """The loop whose iterations frames are gathered over: the one serving."""
        self._pending: list[bytes] = []
        self._scheduled = False
        self._lock = threading.Lock()

    def write(self, data: bytes) -> None:
        try:
            in_loop = asyncio.get_running_loop() is self._loop
        except RuntimeError:
            in_loop = False
        with self._lock:
            self._pending.append(data)
            if not in_loop or self._loop is None:
                self._write_pending()
            elif not self._scheduled:
                self._scheduled = True
                self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write everything pending now."""
        with self._lock:
            self._scheduled = False
            self._write_pending()

    def close(self) -> None:
        self.flush()
        self._stream.close()

    def _write_pending(self) -> None:
        if not self._pending:
            return
        data = b"".join(self._pending)
        self._pending.clear()
        try:
            self._stream.write(data)
            self._stream.flush()
        except (OSError, ValueError) as exc:  # the client went away; stdin's end follows
            log.debug("could not write to the client: %s", type(exc).__name__)
