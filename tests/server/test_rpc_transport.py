"""Where stdin's frames are read: in the event loop for a pipe (no thread, one frame per
loop iteration, nothing read ahead of what was handed over), by a thread for a file, and
never by making the terminal a shell shares non-blocking."""

from __future__ import annotations

import asyncio
import fcntl
import os
import pty
import threading
import tty
from pathlib import Path

from multicodex.rpc.framing import Frame
from multicodex.rpc.transport import READ_BYTES, start_reading
from support.rpc_client import frame

BODIES = [b'{"n":%d}' % n for n in range(40)]
F_SETPIPE_SZ = 1031
"""fcntl's command to resize a pipe (Linux)."""


def reader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "multicodex-stdin"]


async def delivered_from(fd: int, count: int) -> tuple[list[Frame | None], list[str]]:
    """What ``start_reading`` hands over from ``fd`` up to its end (or ``count`` frames),
    with a callback each delivery schedules interleaved where it ran."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[None] = loop.create_future()
    frames: list[Frame | None] = []
    order: list[str] = []

    def deliver(item: Frame | None) -> None:
        frames.append(item)
        order.append("frame")
        loop.call_soon(order.append, "its turn")
        if (item is None or len(frames) == count) and not done.done():
            done.set_result(None)

    reading = start_reading(fd, loop, deliver)
    try:
        await asyncio.wait_for(done, 10)
        await asyncio.sleep(0)
    finally:
        reading.close()
    return frames, order


async def test_a_pipe_is_read_in_the_loop_one_frame_per_iteration() -> None:
    read_end, write_end = os.pipe()
    threads_before = reader_threads()
    os.write(write_end, b"".join(frame(body) for body in BODIES))  # a flood, all at once
    os.close(write_end)
    try:
        frames, order = await delivered_from(read_end, len(BODIES) + 1)
    finally:
        os.close(read_end)

    assert frames == [*BODIES, None]
    assert reader_threads() == threads_before
    # what one frame started ran before the next frame was looked at
    assert order[: 2 * len(BODIES)] == ["frame", "its turn"] * len(BODIES)


async def test_a_pipe_is_not_read_ahead_of_what_was_handed_over() -> None:
    read_end, write_end = os.pipe()
    fcntl.fcntl(write_end, F_SETPIPE_SZ, 4 * READ_BYTES)
    big = b'{"x":"%s"}' % (b"y" * 1000)
    written = 0
    try:
        while written < 3 * READ_BYTES:  # more than one read takes, and then some
            written += os.write(write_end, frame(big))
        loop = asyncio.get_running_loop()
        first: asyncio.Future[None] = loop.create_future()

        def deliver(item: Frame | None) -> None:
            if not first.done():
                first.set_result(None)

        reading = start_reading(read_end, loop, deliver)
        await asyncio.wait_for(first, 10)
        reading.close()  # stopped after the first frame: the rest stays in the pipe
        left = 0
        while True:
            try:
                left += len(os.read(read_end, 1 << 20))
            except BlockingIOError:
                break
    finally:
        os.close(write_end)
        os.close(read_end)

    assert left >= written - READ_BYTES


async def test_a_file_is_read_by_a_thread(tmp_path: Path) -> None:
    path = tmp_path / "frames"
    path.write_bytes(b"".join(frame(body) for body in BODIES[:3]))
    fd = os.open(path, os.O_RDONLY)
    try:
        frames, _ = await delivered_from(fd, 4)
    finally:
        os.close(fd)

    assert frames == [*BODIES[:3], None]


async def test_a_terminal_shared_with_the_shell_stays_blocking() -> None:
    parent, child = pty.openpty()
    tty.setraw(child)  # bytes as they are, not lines
    shared = os.dup(child)  # the description the shell that started the server reads
    try:
        os.write(parent, frame(BODIES[0]))
        frames, _ = await delivered_from(shared, 1)
        assert frames == [BODIES[0]]
        assert os.get_blocking(child)
    finally:
        for fd in (parent, child, shared):
            os.close(fd)
