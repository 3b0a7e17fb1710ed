"""The wire writer: frames written in one loop iteration go out together, in order."""

from __future__ import annotations

import asyncio
import io

from multicodex.rpc.writer import CoalescingWriter


class CountingStream(io.BytesIO):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.writes += 1
        return super().write(data)


async def test_frames_of_one_iteration_are_written_once_in_order() -> None:
    stream = CountingStream()
    writer = CoalescingWriter(stream)
    for number in range(5):
        writer.write(b"frame-%d;" % number)
    assert stream.getvalue() == b""  # nothing yet: the loop has not moved on
    await asyncio.sleep(0)
    assert stream.getvalue() == b"frame-0;frame-1;frame-2;frame-3;frame-4;"
    assert stream.writes == 1


async def test_flush_writes_what_is_pending_at_once() -> None:
    stream = CountingStream()
    writer = CoalescingWriter(stream)
    writer.write(b"last words")
    writer.flush()
    assert stream.getvalue() == b"last words"
    await asyncio.sleep(0)
    assert stream.writes == 1


async def test_a_write_from_another_thread_goes_out_at_once() -> None:
    stream = CountingStream()
    writer = CoalescingWriter(stream)
    await asyncio.to_thread(writer.write, b"from a worker")
    assert stream.getvalue() == b"from a worker"


def test_without_a_running_loop_a_write_goes_out_at_once() -> None:
    stream = CountingStream()
    CoalescingWriter(stream).write(b"now")
    assert stream.getvalue() == b"now"


async def test_a_closed_client_does_not_break_the_writer() -> None:
    stream = CountingStream()
    writer = CoalescingWriter(stream)
    stream.close()
    writer.write(b"into the void")
    writer.flush()  # the error is logged, not raised
