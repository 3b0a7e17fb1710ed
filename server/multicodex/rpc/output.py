"""The wire's output: frames go to stdout at once while the pipe has room, and from a
thread of their own once it is full.

Writing to a pipe blocks once the client stops reading it. Done on the event loop, that
would stop every request, and a coroutine holding the store's lock (or an account's
refresh lock) would keep it for as long as the client sleeps, blocking every other
MultiCodex process. So the descriptor is non-blocking: a write with nothing waiting goes
straight into the pipe (no thread wakes up, which cost a GIL hand-over per frame); what
does not fit, and output in a burst (where the thread gathers frames and writes them beside
the loop) is handed to the writer thread, which waits for room; output
written later waits behind it, so the order holds. What waits to be written is
bounded. Past ``max_pending_bytes``, or once the client has taken nothing for
``stall_seconds`` while output waits, the client counts as gone: the server logs why,
drops the output and ``on_stuck`` ends it (the editor restarts a server that exits).
``on_stuck`` runs once at most, on any thread, never after ``close`` has returned; it
must not write.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import logging
import os
import select
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

log = logging.getLogger(__name__)

MAX_PENDING_ENV = "MULTICODEX_OUTPUT_LIMIT_BYTES"
STALL_ENV = "MULTICODEX_OUTPUT_STALL_SECONDS"
DEFAULT_MAX_PENDING = 64 * 1024 * 1024
DEFAULT_STALL_SECONDS = 60.0
_WRITE_CHUNK = 64 * 1024
"""Bytes per write: the client's progress is noticed at least this often."""
_BURST_SECONDS = 0.001
"""Output that follows a direct write this closely goes through the writer thread: in a
burst, the thread gathers what comes while it writes, and writes it beside the loop."""
_ROOM_POLL_SECONDS = 1.0
"""How long the writer thread waits for room before it looks at the state again."""


@dataclass(frozen=True, slots=True)
class OutputLimits:
    """How much output may wait for a client, and for how long it may take nothing.
    (A dataclass, not a pydantic model: the server reads it before answering
    ``initialize``, and pydantic is not loaded by then.)"""

    max_pending_bytes: int = DEFAULT_MAX_PENDING
    stall_seconds: float = DEFAULT_STALL_SECONDS

    def __post_init__(self) -> None:
        if not (self.max_pending_bytes > 0 and self.stall_seconds > 0):
            raise ValueError("output limits must be positive")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> OutputLimits:
        """The limits set in the environment; the defaults (with a warning) if they are
        not valid."""
        environ = os.environ if env is None else env
        try:
            return cls(
                max_pending_bytes=int(environ.get(MAX_PENDING_ENV) or DEFAULT_MAX_PENDING),
                stall_seconds=float(environ.get(STALL_ENV) or DEFAULT_STALL_SECONDS),
            )
        except ValueError:
            log.warning("ignoring %s / %s: not positive numbers", MAX_PENDING_ENV, STALL_ENV)
            return cls()


class _State(enum.Enum):
    OPEN = "open"
    CLOSING = "closing"
    STUCK = "stuck"
    """The client stopped reading: output is dropped."""
    GONE = "gone"
    """The client closed its end: output is dropped."""


class WireOutput:
    """A byte stream to ``fd`` whose ``write`` never blocks (see the module docstring)."""

    def __init__(
        self,
        fd: int,
        limits: OutputLimits,
        on_stuck: Callable[[], object],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fd = fd
        self._limits = limits
        self._on_stuck = on_stuck
        self._clock = clock
        self._lock = threading.Lock()
        self._has_output = threading.Condition(self._lock)
        self._started_waiting = threading.Condition(self._lock)
        self._drained = threading.Condition(self._lock)
        self._chunks: collections.deque[bytes] = collections.deque()
        self._unwritten = 0
        """Bytes handed over and not written yet (with those being written now)."""
        self._progress_at = clock()
        """When the client last took bytes, or output started waiting for it."""
        self._state = _State.OPEN
        self._closed = False
        """``close`` has returned: ``on_stuck`` may no longer run."""
        self._wrote_at = -_BURST_SECONDS
        """When a write last went straight into the pipe."""
        os.set_blocking(fd, False)
        for target, name in ((self._write_out, "writer"), (self._watch, "watchdog")):
            threading.Thread(target=target, name=f"multicodex-stdout-{name}", daemon=True).start()

    @property
    def gave_up(self) -> bool:
        """Whether the client stopped reading and its output was dropped."""
        return self._state is _State.STUCK

    def write(self, data: bytes) -> None:
        with self._lock:
            if self._state is not _State.OPEN:
                return
            if self._unwritten + len(data) > self._limits.max_pending_bytes:
                self._give_up(f"more than {self._limits.max_pending_bytes} bytes wait for it")
                return
            now = self._clock()
            if self._unwritten == 0 and now - self._wrote_at >= _BURST_SECONDS:
                self._wrote_at = now
                data = self._write_now(data)
                if not data:
                    return
            if self._unwritten == 0:
                self._progress_at = now
                self._started_waiting.notify()
            self._chunks.append(data)
            self._unwritten += len(data)
            self._has_output.notify()

    def _write_now(self, data: bytes) -> bytes:
        """Holding the lock, with nothing waiting: write what the pipe takes without
        blocking; what is left."""
        try:
            written = os.write(self._fd, data)
        except BlockingIOError:
            return data
        except OSError as exc:  # the client closed its end; the end of stdin follows
            log.debug("could not write to the client: %s", type(exc).__name__)
            self._unwritten = len(data)
            self._enter(_State.GONE)
            return b""
        return data[written:]

    def flush(self) -> None:
        """Nothing to do: ``write`` hands everything over at once."""

    def close(self) -> bool:
        """Accept no more output and wait (at most ``stall_seconds``) until what was
        handed over is written; whether it was."""
        with self._lock:
            if self._state is _State.OPEN:
                self._state = _State.CLOSING
                self._has_output.notify()
            self._drained.wait_for(
                lambda: self._unwritten == 0 or self._state is not _State.CLOSING,
                timeout=self._limits.stall_seconds,
            )
            self._closed = True
            return self._unwritten == 0

    # -- threads ---------------------------------------------------------------------------

    def _write_out(self) -> None:
        while True:
            with self._lock:
                self._has_output.wait_for(lambda: self._chunks or self._state is not _State.OPEN)
                if not self._chunks or self._state in (_State.STUCK, _State.GONE):
                    return
                data = b"".join(self._chunks)
                self._chunks.clear()
            if not self._write_all(memoryview(data)):
                return

    def _write_all(self, data: memoryview) -> bool:
        while data:
            try:
                written = os.write(self._fd, data[:_WRITE_CHUNK])
            except BlockingIOError:
                if not self._wait_for_room():
                    return False
                continue
            except OSError as exc:  # the client closed its end; the end of stdin follows
                log.debug("could not write to the client: %s", type(exc).__name__)
                self._stop(_State.GONE)
                return False
            data = data[written:]
            with self._lock:
                self._unwritten -= written
                self._progress_at = self._clock()
                if self._unwritten == 0:
                    self._drained.notify_all()
                if self._state is _State.STUCK:
                    return False
        return True

    def _wait_for_room(self) -> bool:
        """Wait until the pipe takes bytes again (or a while passes); whether output is
        still wanted."""
        with contextlib.suppress(OSError, ValueError):  # closed: the next write says so
            select.select([], [self._fd], [], _ROOM_POLL_SECONDS)
        with self._lock:
            return self._state in (_State.OPEN, _State.CLOSING)

    def _watch(self) -> None:
        """Give up on the client once output has waited ``stall_seconds`` without the
        client taking any."""
        stall = self._limits.stall_seconds
        with self._lock:
            while self._state in (_State.OPEN, _State.CLOSING):
                if self._unwritten == 0:
                    self._started_waiting.wait()
                    continue
                idle = self._clock() - self._progress_at
                if idle >= stall:
                    self._give_up(f"it has read nothing for {stall:g} s")
                    return
                self._started_waiting.wait(stall - idle)

    # -- giving up -------------------------------------------------------------------------

    def _give_up(self, why: str) -> None:
        """Holding the lock: drop the output of a client that stopped reading. ``on_stuck``
        runs under the lock too, so that ``close`` cannot return while it runs."""
        if self._state in (_State.STUCK, _State.GONE):
            return
        log.error(
            "the client is not reading the server's output (%s; %d bytes waiting): "
            "dropping the connection",
            why,
            self._unwritten,
        )
        self._enter(_State.STUCK)
        if not self._closed:
            self._on_stuck()

    def _stop(self, state: _State) -> None:
        with self._lock:
            if self._state in (_State.OPEN, _State.CLOSING):
                self._enter(state)

    def _enter(self, state: _State) -> None:
        self._state = state
        self._chunks.clear()
        self._has_output.notify_all()
        self._started_waiting.notify_all()
        self._drained.notify_all()
