"""LSP framing over stdio: ``Content-Length`` headers, then the JSON body.

Frames are read by one daemon thread (it never occupies pygls' worker pool, and it does
not keep the process alive after ``exit``) and handed to the event loop through a bounded
hand-over, so a client that floods the server is slowed down instead of filling memory.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import os
import sys
import threading
from collections.abc import Callable
from typing import BinaryIO

MAX_HEADER_LINE = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
QUEUE_FRAMES = 16
_READ_CHUNK = 256 * 1024


class Oversized:
    """Stands for a frame whose body was larger than MAX_BODY_BYTES (it was skipped)."""


OVERSIZED = Oversized()
Frame = bytes | Oversized


class FrameReader:
    """Reads one frame at a time from ``read_chunk`` (an ``os.read``-like callable);
    junk between frames is skipped.

    It buffers by itself instead of using ``sys.stdin.buffer``: a daemon thread blocked
    inside a BufferedReader makes the interpreter abort at exit (it cannot take the
    reader's lock to finalize it).
    """

    def __init__(self, read_chunk: Callable[[int], bytes], max_body: int = MAX_BODY_BYTES) -> None:
        self._read_chunk = read_chunk
        self._max_body = max_body
        self._buffer = bytearray()

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
            body = self._take(length)
            return body if len(body) == length else None

    def _content_length(self) -> int | None:
        """Read one header block: its Content-Length, -1 if it had none, None at EOF."""
        length = -1
        while True:
            line = self._line()
            if not line:
                return None
            if not line.strip():
                if length >= 0:
                    return length
                continue
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())

    def _line(self) -> bytes:
        """Up to and including the next newline (at most MAX_HEADER_LINE bytes)."""
        while True:
            end = self._buffer.find(b"\n", 0, MAX_HEADER_LINE)
            if end >= 0:
                return self._pop(end + 1)
            if len(self._buffer) >= MAX_HEADER_LINE or not self._fill():
                return self._pop(min(len(self._buffer), MAX_HEADER_LINE))

    def _take(self, length: int) -> bytes:
        while len(self._buffer) < length and self._fill():
            pass
        return self._pop(min(length, len(self._buffer)))

    def _skip(self, length: int) -> bool:
        dropped = len(self._pop(min(length, len(self._buffer))))
        while dropped < length:
            chunk = self._chunk(min(length - dropped, _READ_CHUNK))
            if not chunk:
                return False
            dropped += len(chunk)
        return True

    def _fill(self) -> bool:
        chunk = self._chunk(_READ_CHUNK)
        self._buffer += chunk
        return bool(chunk)

    def _chunk(self, size: int) -> bytes:
        try:
            return self._read_chunk(size)
        except OSError:
            return b""

    def _pop(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def start_reading(
    reader: FrameReader,
    loop: asyncio.AbstractEventLoop,
    deliver: Callable[[Frame | None], None],
    limit: int = QUEUE_FRAMES,
) -> threading.Thread:
    """Hand each frame to ``deliver`` in the event loop from a daemon thread; None marks
    the end of input. At most ``limit`` frames wait to be delivered: the thread stops
    reading until the loop has caught up.

    Frames go to ``deliver`` from a loop callback, not through a queue and a task (every
    hop between threads and loop iterations adds to each request's latency), but still
    one frame per loop iteration: what one frame starts (a cancellation reaching its
    request, say) gets a turn before the next frame is looked at.
    """
    slots = threading.BoundedSemaphore(limit)
    waiting: collections.deque[Frame | None] = collections.deque()
    guard = threading.Lock()
    draining = False

    def deliver_next() -> None:
        nonlocal draining
        frame = waiting.popleft()
        try:
            deliver(frame)
        finally:
            slots.release()
            with guard:
                more = draining = bool(waiting)
            if more:
                loop.call_soon(deliver_next)

    def pump() -> None:
        nonlocal draining
        while True:
            frame = reader.read()
            slots.acquire()
            with guard:
                waiting.append(frame)
                start = not draining
                draining = True
            if start:
                try:
                    loop.call_soon_threadsafe(deliver_next)
                except RuntimeError:  # the loop is gone: the server is exiting
                    return
            if frame is None:
                return

    thread = threading.Thread(target=pump, name="multicodex-stdin", daemon=True)
    thread.start()
    return thread


def claim_stdio() -> tuple[Callable[[int], bytes], BinaryIO]:
    """The wire's input (an ``os.read`` on stdin) and output; anything else written to
    fd 1 goes to stderr, so a stray ``print`` can never corrupt the framing."""
    wire_in = os.dup(sys.stdin.fileno())
    wire_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return functools.partial(os.read, wire_in), wire_out
