"""stdio for the LSP wire: frames (see `multicodex.rpc.framing`) come from stdin; the
output goes to `multicodex.rpc.output`.

Frames are read by one daemon thread (it never occupies pygls' worker pool, and it does
not keep the process alive after ``exit``) and handed to the event loop through a bounded
hand-over, so a client that floods the server is slowed down instead of filling memory.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import os
import stat
import sys
import threading
from collections.abc import Callable

from multicodex.rpc.framing import Frame, FrameReader

QUEUE_FRAMES = 16


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


def claim_stdio() -> tuple[Callable[[int], bytes], int]:
    """The wire's input (an ``os.read`` on stdin) and output (a file descriptor); anything
    else written to fd 1 goes to stderr, so a stray ``print`` can never corrupt the
    framing."""
    wire_in = os.dup(sys.stdin.fileno())
    wire_out = _own_description(sys.stdout.fileno())
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return functools.partial(os.read, wire_in), wire_out


def _own_description(fd: int) -> int:
    """A descriptor of ``fd``'s pipe with an open file description of its own, so that
    making it non-blocking (`multicodex.rpc.output`) does not change the parent's end (a
    terminal the server was started from, say); a plain ``dup`` for anything else (a
    file, whose offset must stay shared) or when it cannot be opened again (no reader)."""
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        return os.dup(fd)
    try:
        return os.open(f"/proc/self/fd/{fd}", os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return os.dup(fd)
