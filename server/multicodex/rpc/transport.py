"""stdio for the LSP wire: frames (see `multicodex.rpc.framing`) come from stdin; the
output goes to `multicodex.rpc.output`.

Frames are read in the event loop itself when stdin is a pipe, a socket or a terminal
(what an editor or a shell gives): the loop reads what has arrived without blocking and
hands over one frame per iteration, reading no more until those are handed over, so a
client that floods the server is slowed down instead of filling memory. A request thus
costs no thread wake-up and no hand-over between threads. Anything else (a file) and a
loop that cannot watch descriptors (Windows) are read by one daemon thread (it does not
keep the process alive after ``exit``) through a bounded hand-over.
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

from multicodex.rpc.framing import Frame, FrameReader, NoInputYet

QUEUE_FRAMES = 16
READ_BYTES = 256 * 1024
Deliver = Callable[[Frame | None], None]


class Reading:
    """Frames on their way from stdin to ``deliver``; `close` stops them."""

    def close(self) -> None:
        """Stop reading (a thread reading a file just ends with the process)."""


def start_reading(fd: int, loop: asyncio.AbstractEventLoop, deliver: Deliver) -> Reading:
    """Hand each frame read from ``fd`` to ``deliver`` in the event loop, one per loop
    iteration, and None at the end of input: in the loop itself where it can watch
    ``fd``, else from a thread."""
    if _watchable(fd):
        reader = _LoopReader(fd, loop, deliver)
        try:
            reader.start()
        except (NotImplementedError, OSError):  # Windows' loop; a descriptor epoll refuses
            pass
        else:
            return reader
    if not os.get_blocking(fd):
        os.set_blocking(fd, True)  # the thread waits in its reads
    start_reading_thread(FrameReader(functools.partial(os.read, fd)), loop, deliver)
    return Reading()


def _watchable(fd: int) -> bool:
    """A pipe or a socket; a terminal only through a description of its own (opened
    non-blocking by `claim_stdio`): made non-blocking, the one the server shares with
    the shell that started it would break the shell's reads after the server exits."""
    mode = os.fstat(fd).st_mode
    if stat.S_ISCHR(mode):
        return not os.get_blocking(fd)
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


class _LoopReader(Reading):
    """Frames read in the event loop as ``fd`` (non-blocking) becomes readable."""

    def __init__(self, fd: int, loop: asyncio.AbstractEventLoop, deliver: Deliver) -> None:
        self._fd = fd
        self._loop = loop
        self._deliver = deliver
        self._arrived: collections.deque[bytes] = collections.deque()
        self._at_end = False
        self._watching = False
        self._closed = False
        self._frames = FrameReader(self._take)

    def start(self) -> None:
        os.set_blocking(self._fd, False)
        self._watch()

    def close(self) -> None:
        self._closed = True
        self._unwatch()

    def _take(self, size: int) -> bytes:
        if self._arrived:
            return self._arrived.popleft()
        if self._at_end:
            return b""
        raise NoInputYet

    def _on_readable(self) -> None:
        try:
            data = os.read(self._fd, READ_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:  # the client's end is gone: the end of input
            data = b""
        if data:
            self._arrived.append(data)
        else:
            self._at_end = True
        self._unwatch()  # nothing more is read until what arrived is handed over
        self._deliver_next()

    def _deliver_next(self) -> None:
        if self._closed:
            return
        try:
            frame = self._frames.read()
        except NoInputYet:
            self._watch()
            return
        try:
            self._deliver(frame)
        finally:
            if frame is not None:
                self._after_delivery()

    def _after_delivery(self) -> None:
        """The next frame in the next iteration (what this one started gets a turn
        first), or more input once everything that arrived is handed over."""
        if self._arrived or self._frames.buffered or self._at_end:
            self._loop.call_soon(self._deliver_next)
        else:
            self._watch()

    def _watch(self) -> None:
        if not self._watching and not self._closed and not self._at_end:
            self._loop.add_reader(self._fd, self._on_readable)
            self._watching = True

    def _unwatch(self) -> None:
        if self._watching:
            self._loop.remove_reader(self._fd)
            self._watching = False


def start_reading_thread(
    reader: FrameReader,
    loop: asyncio.AbstractEventLoop,
    deliver: Deliver,
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


def claim_stdio() -> tuple[int, int]:
    """The wire's input and output (file descriptors); anything else written to fd 1
    goes to stderr, so a stray ``print`` can never corrupt the framing."""
    wire_in = _own_description(sys.stdin.fileno(), os.O_RDONLY)
    wire_out = _own_description(sys.stdout.fileno(), os.O_WRONLY)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    sys.stdout = sys.stderr
    return wire_in, wire_out


def _own_description(fd: int, access: int) -> int:
    """A descriptor of ``fd``'s pipe with an open file description of its own, so that
    making it non-blocking (here and in `multicodex.rpc.output`) does not change the
    parent's end (a terminal the server was started from, say); a plain ``dup`` for
    anything else (a file, whose offset must stay shared; a socket, which is the
    server's own end) or when it cannot be opened again (no reader)."""
    mode = os.fstat(fd).st_mode
    if not (stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        return os.dup(fd)
    try:
        return os.open(f"/proc/self/fd/{fd}", access | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return os.dup(fd)
