"""A skimming stream (what a pass-through relay uses once output flows) hands on the same
bytes and ends, completes or fails exactly as one that parses every event, however the
body is cut into chunks and whatever the deltas say."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx2
from hypothesis import given, settings
from hypothesis import strategies as st

from multicodex.codex.client import SKIMMED, ResponseStream
from multicodex.codex.errors import CodexFailure

PREAMBLE = ("response.created", "response.in_progress")


@dataclass(frozen=True)
class Outcome:
    raw: bytes
    status: str | None
    failure: tuple[str, str] | None
    parsed_types: tuple[str, ...]


def frame(event: dict[str, object], *, named: bool = True) -> bytes:
    data = json.dumps(event, separators=(",", ":"))
    head = f"event: {event['type']}\n" if named else ""
    return f"{head}data: {data}\n\n".encode()


def body_of(deltas: list[str], ending: str, named: bool) -> bytes:
    frames = [frame({"type": t, "response": {"id": "r1"}}, named=named) for t in PREAMBLE]
    frames += [
        frame({"type": "response.output_text.delta", "delta": text}, named=named) for text in deltas
    ]
    if ending == "completed":
        done = {"id": "r1", "status": "completed"}
        frames.append(frame({"type": "response.completed", "response": done}, named=named))
    elif ending == "failed":
        failed = {"id": "r1", "error": {"code": "server_error", "message": "boom"}}
        frames.append(frame({"type": "response.failed", "response": failed}, named=named))
    elif ending == "error":
        frames.append(frame({"type": "error", "code": "server_error", "message": "x"}, named=False))
    elif ending == "done":
        frames.append(b"data: [DONE]\n\n")
    return b"".join(frames)  # "eof": the body just stops


def cut(body: bytes, points: list[int]) -> list[bytes]:
    edges = sorted({0, len(body), *(p % (len(body) + 1) for p in points)})
    return [body[a:b] for a, b in itertools.pairwise(edges) if b > a]


def stream_of(chunks: list[bytes]) -> tuple[ResponseStream, list[bytes]]:
    """A stream over ``chunks`` and the list its raw bytes are collected in."""

    async def source() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk

    loop = asyncio.get_running_loop()
    stream = ResponseStream(
        httpx2.Response(200, content=source()),
        usage=None,
        request_id=None,
        idle_timeout=30.0,
        first_bytes_by=loop.time() + 30.0,
        first_bytes_timeout=30.0,
        clock=loop.time,
    )
    raw: list[bytes] = []
    stream.raw = raw
    return stream, raw


async def read(chunks: list[bytes], *, skim: bool) -> Outcome:
    stream, raw = stream_of(chunks)
    parsed: list[str] = []
    failure: tuple[str, str] | None = None
    try:
        async for event in stream:
            if event is not SKIMMED:
                parsed.append(event.type)
            if skim and event.type not in PREAMBLE:
                stream.skim()
    except CodexFailure as exc:
        failure = (exc.kind.value, exc.message)
    finally:
        await stream.aclose()
    status = stream.completed.status if stream.completed is not None else None
    return Outcome(b"".join(raw), status, failure, tuple(parsed))


texts = st.text(alphabet=st.sampled_from('ab \n\r"\\érror.[DONE]completed'), max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    deltas=st.lists(texts, max_size=25),
    ending=st.sampled_from(["completed", "failed", "error", "done", "eof"]),
    named=st.booleans(),
    points=st.lists(st.integers(min_value=0, max_value=5000), max_size=12),
)
def test_skimming_changes_neither_the_bytes_nor_how_the_stream_ends(
    deltas: list[str], ending: str, named: bool, points: list[int]
) -> None:
    chunks = cut(body_of(deltas, ending, named), points)
    parsed = asyncio.run(read(chunks, skim=False))
    skimmed = asyncio.run(read(chunks, skim=True))
    assert skimmed.raw == parsed.raw
    assert skimmed.status == parsed.status
    assert skimmed.failure == parsed.failure
    terminal = [t for t in parsed.parsed_types if t not in ("response.output_text.delta",)]
    assert [t for t in skimmed.parsed_types if t in terminal] == terminal


def test_a_long_answer_is_skimmed_not_parsed_once_output_flows() -> None:
    body = body_of([f"word {n} " for n in range(300)], "completed", named=True)
    chunks = cut(body, list(range(0, len(body), 997)))
    skimmed = asyncio.run(read(chunks, skim=True))
    assert skimmed.status == "completed"
    assert skimmed.raw == body
    deltas_parsed = skimmed.parsed_types.count("response.output_text.delta")
    assert deltas_parsed < 300 // 4  # most chunks went on unparsed
    assert skimmed.parsed_types[-1] == "response.completed"


async def read_batched(chunks: list[bytes]) -> Outcome:
    """The same stream read as the engine reads it: every event already read at once."""
    stream, raw = stream_of(chunks)
    parsed: list[str] = []
    failure: tuple[str, str] | None = None
    try:
        while events := await stream.next_events():
            parsed.extend(event.type for event in events)
    except CodexFailure as exc:
        failure = (exc.kind.value, exc.message)
    finally:
        await stream.aclose()
    status = stream.completed.status if stream.completed is not None else None
    return Outcome(b"".join(raw), status, failure, tuple(parsed))


@settings(max_examples=150, deadline=None)
@given(
    deltas=st.lists(texts, max_size=25),
    ending=st.sampled_from(["completed", "failed", "error", "done", "eof"]),
    named=st.booleans(),
    points=st.lists(st.integers(min_value=0, max_value=5000), max_size=12),
)
def test_events_read_together_are_the_events_read_one_by_one(
    deltas: list[str], ending: str, named: bool, points: list[int]
) -> None:
    """Whatever the chunks: the same events in the same order, every event before a
    failure handed out before the failure is raised, and the same ending."""
    chunks = cut(body_of(deltas, ending, named), points)
    one_by_one = asyncio.run(read(chunks, skim=False))
    together = asyncio.run(read_batched(chunks))
    assert together == one_by_one
