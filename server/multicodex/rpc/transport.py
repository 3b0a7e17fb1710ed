"""LSP framing over stdio: ``Content-Length`` headers, then the JSON body.

Frames are read by one daemon thread (it never occupies pygls' worker pool, and it does
not keep the process alive after ``exit``) and handed to the event loop through a bounded
queue, so a client that floods the server is slowed down instead of filling memory.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from typing import BinaryIO

MAX_HEADER_LINE = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
QUEUE_FRAMES = 16
_SKIP_CHUNK = 1024 * 1024


class Oversized:
    """Stands for a frame whose body was larger than MAX_BODY_BYTES (it was skipped)."""


OVERSIZED = Oversized()
Frame = bytes | Oversized


class FrameReader:
    """Reads one frame at a time; junk between frames is skipped."""

    def __init__(self, stream: BinaryIO, max_body: int = MAX_BODY_BYTES) -> None:
        self._stream = stream
        self._max_body = max_body

    def read(self) -> Frame | None:
        """The next body, OVERSIZED for one too large to keep, None at end of input."""
        while True:
            length = self._content_length()
            if length is None:
                return None
            if length < 0:
                continue  # a header block without Content-Length: nothing to read
            if length > self._max_body:
                return OVERSIZED if self._skip(length) else None
            body = self._stream.read(length)
            if len(body) < length:
                return None
            return body

    def _content_length(self) -> int | None:
        """Read one header block: its Content-Length, -1 if it had none, None at EOF."""
        length = -1
        while True:
            line = self._stream.readline(MAX_HEADER_LINE)
            if not line:
                return None
            if not line.strip():
                if length >= 0:
                    return length
                continue
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())

    def _skip(self, length: int) -> bool:
        while length > 0:
            chunk = self._stream.read(min(length, _SKIP_CHUNK))
            if not chunk:
                return False
            length -= len(chunk)
        return True


def start_reading(
    reader: FrameReader, loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[Frame | None]
) -> threading.Thread:
    """Pump frames into ``queue`` from a daemon thread; None marks the end of input."""

    def pump() -> None:
        while True:
            try:
                frame = reader.read()
            except (OSError, ValueError):
                frame = None
            try:
                asyncio.run_coroutine_threadsafe(queue.put(frame), loop).result()
            except RuntimeError:  # the loop is gone: the server is exiting
                return
            if frame is None:
                return

    thread = threading.Thread(target=pump, name="multicodex-stdin", daemon=True)
    thread.start()
    return thread


def claim_stdio() -> tuple[BinaryIO, BinaryIO]:
    """The wire's input and output; anything else written to fd 1 goes to stderr.

    A stray ``print`` (ours or a library's) can therefore never corrupt the framing.
    """
    wire_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return sys.stdin.buffer, wire_out
