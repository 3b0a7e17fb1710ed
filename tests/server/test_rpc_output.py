"""The wire's output over a real pipe: writes never block, a client that reads gets every
byte in order, and one that stops reading is given up on (once) past the limits."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from multicodex.rpc import transport
from multicodex.rpc.output import (
    MAX_PENDING_ENV,
    STALL_ENV,
    OutputLimits,
    WireOutput,
)

WAIT = 30.0
"""Bound on every wait (seconds); never reached when the code works."""
PIECE = b"x" * 4096


class Stuck:
    """Counts ``on_stuck`` calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.called = threading.Event()

    def __call__(self) -> None:
        self.calls += 1
        self.called.set()


@contextlib.contextmanager
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    try:
        yield read_end, write_end
    finally:
        for fd in (read_end, write_end):
            with contextlib.suppress(OSError):  # a test closed it already
                os.close(fd)


def drain(fd: int, into: bytearray) -> threading.Thread:
    def run() -> None:
        while chunk := os.read(fd, 65536):
            into.extend(chunk)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_reading_client_gets_every_byte_in_order() -> None:
    received = bytearray()
    stuck = Stuck()
    with pipe() as (read_end, write_end):
        output = WireOutput(write_end, OutputLimits(max_pending_bytes=10**8), stuck)
        reader = drain(read_end, received)
        sent = b"".join(b"frame %d;" % n for n in range(50_000))
        for start in range(0, len(sent), 1000):
            output.write(sent[start : start + 1000])
        assert output.close() is True
        os.close(write_end)
        reader.join(WAIT)
    assert bytes(received) == sent
    assert stuck.calls == 0
    assert not output.gave_up


def test_past_the_limit_a_client_that_does_not_read_is_given_up_on_without_blocking() -> None:
    stuck = Stuck()
    with pipe() as (_read_end, write_end):
        output = WireOutput(write_end, OutputLimits(max_pending_bytes=256 * 1024), stuck)
        for _ in range(1000):  # 4 MB: far past the pipe and the limit; no call blocks
            output.write(PIECE)
        assert stuck.calls == 1
        assert output.gave_up
        assert output.close() is False
    assert stuck.calls == 1


def test_a_client_that_reads_nothing_for_the_stall_time_is_given_up_on() -> None:
    stuck = Stuck()
    limits = OutputLimits(max_pending_bytes=10**8, stall_seconds=0.2)
    with pipe() as (_read_end, write_end):
        output = WireOutput(write_end, limits, stuck)
        for _ in range(100):  # 400 kB: more than the pipe holds, less than the limit
            output.write(PIECE)
        assert stuck.called.wait(WAIT)
        assert output.gave_up
        output.write(PIECE)  # dropped
        assert output.close() is False
    assert stuck.calls == 1


def test_an_idle_server_with_nothing_to_write_is_not_stalled() -> None:
    stuck = Stuck()
    limits = OutputLimits(stall_seconds=0.05)
    received = bytearray()
    with pipe() as (read_end, write_end):
        output = WireOutput(write_end, limits, stuck)
        reader = drain(read_end, received)
        output.write(b"hello")
        assert not stuck.called.wait(0.5)
        assert output.close() is True
        os.close(write_end)
        reader.join(WAIT)
    assert bytes(received) == b"hello"
    assert not output.gave_up


def test_a_client_that_closed_its_end_is_not_reported_as_stuck() -> None:
    stuck = Stuck()
    with pipe() as (read_end, write_end):
        os.close(read_end)
        output = WireOutput(write_end, OutputLimits(stall_seconds=0.2), stuck)
        output.write(b"into the void")
        assert output.close() is False
        output.write(b"more")
    assert stuck.calls == 0
    assert not output.gave_up


def test_limits_come_from_the_environment_or_fall_back_to_the_defaults() -> None:
    env = {MAX_PENDING_ENV: "1024", STALL_ENV: "2.5"}
    assert OutputLimits.from_env(env) == OutputLimits(max_pending_bytes=1024, stall_seconds=2.5)
    assert OutputLimits.from_env({}) == OutputLimits()
    assert OutputLimits.from_env({MAX_PENDING_ENV: "-1"}) == OutputLimits()
    assert OutputLimits.from_env({STALL_ENV: "soon"}) == OutputLimits()


def test_output_past_what_the_pipe_holds_waits_and_arrives_in_order_once_read() -> None:
    received = bytearray()
    stuck = Stuck()
    with pipe() as (read_end, write_end):
        output = WireOutput(write_end, OutputLimits(max_pending_bytes=10**8), stuck)
        sent = b"".join(b"frame %d;" % n for n in range(60_000))  # ~600 kB, no reader yet
        for start in range(0, len(sent), 4096):
            output.write(sent[start : start + 4096])
        reader = drain(read_end, received)
        assert output.close() is True
        os.close(write_end)
        reader.join(WAIT)
    assert bytes(received) == sent
    assert stuck.calls == 0


def test_the_wire_gets_a_description_of_its_own_so_the_parents_end_stays_blocking() -> None:
    with pipe() as (read_end, write_end):
        own = transport._own_description(write_end, os.O_WRONLY)
        try:
            WireOutput(own, OutputLimits(), Stuck()).write(b"through the pipe")
            assert os.get_blocking(write_end)
            assert os.read(read_end, 100) == b"through the pipe"
        finally:
            os.close(own)


def test_the_wire_input_gets_a_description_of_its_own_read_without_blocking() -> None:
    with pipe() as (read_end, write_end):
        own = transport._own_description(read_end, os.O_RDONLY)
        try:
            assert not os.get_blocking(own)
            assert os.get_blocking(read_end)
            os.write(write_end, b"frames")
            assert os.read(own, 100) == b"frames"
        finally:
            os.close(own)
