"""The frame reader on its own: valid frames however the bytes arrive, and every framing
mistake reported once with the reader back on the next valid frame."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from multicodex.rpc.framing import (
    BAD_LENGTH,
    MAX_HEADER_LINE,
    NO_LENGTH,
    NOT_A_FRAME,
    Frame,
    FrameReader,
    Misframed,
    NoInputYet,
    Oversized,
)
from multicodex.rpc.salvage import request_id
from support.rpc_client import frame

MAX_BODY = 1024
TOO_LARGE = "a Content-Length ({}) larger than the message"


class WouldBlock(Exception):
    """The reader asked for more bytes than the client has sent."""


class Chunks:
    """An ``os.read`` over chunks given in advance; past them it either ends the input or,
    like a client that is waiting for an answer, never returns (WouldBlock)."""

    def __init__(self, chunks: Iterable[bytes], *, then_wait: bool = False) -> None:
        self._chunks = [c for c in chunks if c]
        self._then_wait = then_wait

    def __call__(self, size: int) -> bytes:
        if not self._chunks:
            if self._then_wait:
                raise WouldBlock
            return b""
        chunk = self._chunks[0]
        self._chunks[0] = chunk[size:]
        if not self._chunks[0]:
            self._chunks.pop(0)
        return chunk[:size]


def reader_of(data: bytes, max_body: int = MAX_BODY) -> FrameReader:
    return FrameReader(io.BytesIO(data).read, max_body=max_body)


def read_all(reader: FrameReader, at_most: int = 1000) -> list[Frame]:
    frames: list[Frame] = []
    for _ in range(at_most):
        item = reader.read()
        if item is None:
            return frames
        frames.append(item)
    raise AssertionError("the reader never reached the end of its input")


def request(msg_id: int, text: str = "hello") -> bytes:
    message = {"jsonrpc": "2.0", "id": msg_id, "method": "multicodex/paths", "params": {"t": text}}
    return json.dumps(message, ensure_ascii=False).encode()


def with_length(body: bytes, length: int | str) -> bytes:
    return b"Content-Length: %s\r\n\r\n" % str(length).encode() + body


def reasons(frames: list[Frame]) -> list[str]:
    return [f.reason for f in frames if isinstance(f, Misframed)]


# -- valid input -----------------------------------------------------------------------------


def test_frames_with_other_headers_and_blank_lines_between_them_are_read_whole() -> None:
    data = (
        frame(b'{"a":1}')
        + b"\r\n\r\n"
        + b"Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n"
        + b"content-length: 2\r\n\r\n{}"
        + b"CONTENT-LENGTH:3\n\n[1]"
    )
    assert read_all(reader_of(data)) == [b'{"a":1}', b"{}", b"[1]"]


def test_a_body_cut_short_by_the_end_of_input_is_the_end() -> None:
    reader = reader_of(frame(b'{"b":2}') + b"Content-Length: 10\r\n\r\n{")
    assert reader.read() == b'{"b":2}'
    assert reader.read() is None
    assert reader.read() is None


bodies = st.lists(
    st.dictionaries(st.text(max_size=6), st.text(max_size=12) | st.integers(), max_size=4),
    min_size=1,
    max_size=8,
).map(lambda messages: [json.dumps(m, ensure_ascii=False).encode() for m in messages])


@settings(max_examples=200, deadline=None)
@given(bodies, st.lists(st.integers(min_value=1, max_value=40), min_size=1, max_size=50))
def test_valid_frames_are_read_whatever_the_pieces_they_arrive_in(
    messages: list[bytes], sizes: list[int]
) -> None:
    data = b"".join(frame(body) for body in messages)
    assert read_all(FrameReader(Chunks(split(data, sizes)))) == messages


def split(data: bytes, sizes: list[int]) -> list[bytes]:
    pieces, start, turn = [], 0, 0
    while start < len(data):
        size = sizes[turn % len(sizes)]
        pieces.append(data[start : start + size])
        start, turn = start + size, turn + 1
    return pieces


# -- each framing mistake ----------------------------------------------------------------------


def test_junk_between_frames_is_reported_once_and_skipped() -> None:
    data = frame(request(1)) + b"junk line\r\nmore junk\r\n\r\n" + frame(request(2))
    frames = read_all(reader_of(data))
    assert frames[0] == request(1)
    assert reasons(frames) == [NOT_A_FRAME]
    assert frames[2] == request(2)
    assert len(frames) == 3


def test_a_header_block_without_content_length_is_reported_with_the_message_after_it() -> None:
    data = b"Content-Type: application/json\r\n\r\n" + request(1) + frame(request(2))
    first, second = read_all(reader_of(data))
    assert isinstance(first, Misframed)
    assert first.reason == NO_LENGTH
    assert request_id(first.head) == 1
    assert second == request(2)


def test_a_negative_or_non_numeric_content_length_is_reported_and_its_body_skipped() -> None:
    for length in ("-5", "abc", "12abc", "+7", ""):
        data = with_length(request(1), length) + frame(request(2))
        first, second = read_all(reader_of(data))
        assert isinstance(first, Misframed), length
        assert first.reason == BAD_LENGTH
        assert request_id(first.head) == 1
        assert second == request(2)


def test_a_content_length_too_small_leaves_a_tail_that_is_reported_once() -> None:
    body = request(1)
    data = with_length(body, len(body) - 3) + frame(request(2))
    truncated, tail, second = read_all(reader_of(data))
    assert truncated == body[:-3]
    assert request_id(truncated) == 1
    assert isinstance(tail, Misframed)
    assert tail.reason == NOT_A_FRAME
    assert tail.head == body[-3:]
    assert second == request(2)


def test_a_length_counted_in_characters_loses_nothing_that_follows() -> None:
    body = request(7, "héllo wörld ✓")
    characters = len(body.decode())
    assert characters < len(body)
    data = with_length(body, characters) + frame(request(8)) + frame(request(9))
    frames = read_all(reader_of(data))
    assert frames[0] == body[:characters]
    assert request_id(frames[0]) == 7
    assert reasons(frames) == [NOT_A_FRAME]
    assert frames[-2:] == [request(8), request(9)]


def test_a_content_length_too_large_ends_where_the_next_frame_starts() -> None:
    body = request(1)
    for extra in (1, 5, 19, 40, 500):
        data = with_length(body, len(body) + extra) + frame(request(2)) + frame(request(3))
        frames = read_all(reader_of(data))
        first = frames[0]
        assert isinstance(first, Misframed), extra
        assert first.reason == TOO_LARGE.format(len(body) + extra)
        assert first.head == body
        assert frames[1:] == [request(2), request(3)]


def test_a_content_length_too_large_before_a_content_type_header_still_resyncs() -> None:
    body = request(1)
    following = b"Content-Type: application/vscode-jsonrpc\r\n" + frame(request(2))
    frames = read_all(reader_of(with_length(body, len(body) + 30) + following))
    assert isinstance(frames[0], bytes), "the length ends inside Content-Type"
    assert request_id(frames[0]) == 1
    assert reasons(frames) == [NOT_A_FRAME]
    assert frames[-1] == request(2)


def test_a_whole_message_with_too_large_a_length_is_answered_without_waiting() -> None:
    body = request(4)
    reader = FrameReader(Chunks([with_length(body, len(body) + 10)], then_wait=True))
    first = reader.read()
    assert isinstance(first, Misframed)
    assert first.head == body
    assert request_id(first.head) == 4


def test_a_message_still_arriving_is_waited_for() -> None:
    body = request(5)
    reader = FrameReader(Chunks([frame(body)[:-1]], then_wait=True))
    try:
        reader.read()
    except WouldBlock:
        return
    raise AssertionError("an incomplete body was not waited for")


def test_an_oversized_frame_is_skipped_with_its_head_kept() -> None:
    big = request(6, "x" * 5000)
    frames = read_all(reader_of(frame(big) + frame(request(7))))
    oversized = frames[0]
    assert isinstance(oversized, Oversized)
    assert (oversized.length, oversized.limit) == (len(big), MAX_BODY)
    assert request_id(oversized.head) == 6
    assert frames[1:] == [request(7)]


def test_an_oversized_frame_arriving_in_pieces_is_skipped_whole() -> None:
    big = request(6, "y" * 50_000)
    data = frame(big) + frame(request(7))
    frames = read_all(FrameReader(Chunks(split(data, [333, 4096, 17])), max_body=MAX_BODY))
    assert isinstance(frames[0], Oversized)
    assert request_id(frames[0].head) == 6
    assert frames[1:] == [request(7)]


def test_a_huge_bogus_content_length_does_not_swallow_the_following_frames() -> None:
    data = with_length(request(1), 10**15) + frame(request(2)) + frame(request(3))
    frames = read_all(FrameReader(Chunks(split(data, [50])), max_body=MAX_BODY))
    assert isinstance(frames[0], Misframed)
    assert request_id(frames[0].head) == 1
    assert frames[1:] == [request(2), request(3)]


def test_a_header_line_without_end_is_bounded() -> None:
    frames = read_all(reader_of(b"A" * (MAX_HEADER_LINE + 10) + b"\r\n" + frame(b"{}")))
    assert reasons(frames) == [NOT_A_FRAME]
    assert frames[-1] == b"{}"


def test_json_sent_without_a_header_is_reported_at_once_with_its_id() -> None:
    reader = FrameReader(Chunks([request(3)], then_wait=True))
    first = reader.read()
    assert isinstance(first, Misframed)
    assert request_id(first.head) == 3


def test_junk_glued_to_the_next_header_does_not_hide_it() -> None:
    data = frame(request(1)) + b"xyz" + frame(request(2)) + b"}}" + frame(request(3))
    frames = read_all(reader_of(data))
    assert [f for f in frames if isinstance(f, bytes)] == [request(1), request(2), request(3)]
    assert len(reasons(frames)) == 2


# -- any mistake, anywhere -----------------------------------------------------------------------

junk = st.text(alphabet="abcdefghij XYZ{}[]\"'\r\n\t.,;!?-_=é", min_size=1, max_size=30).filter(
    lambda s: s.strip() != ""
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.integers(min_value=2, max_value=8),
    st.data(),
    st.lists(st.integers(min_value=1, max_value=64), min_size=1, max_size=20),
)
def test_after_any_one_mistake_every_other_frame_is_read(
    count: int, data: st.DataObject, sizes: list[int]
) -> None:
    messages = [request(n, "é" * (n + 1)) for n in range(count)]
    bad = data.draw(st.integers(min_value=0, max_value=count - 1))
    mistake = data.draw(st.sampled_from(["junk", "shorter", "longer", "characters", "no number"]))
    parts = []
    for n, body in enumerate(messages):
        if n != bad:
            parts.append(frame(body))
        elif mistake == "junk":
            parts.append(data.draw(junk).encode() + frame(body))
        elif mistake == "shorter":
            parts.append(with_length(body, data.draw(st.integers(0, len(body) - 1))))
        elif mistake == "longer":
            parts.append(with_length(body, len(body) + data.draw(st.integers(1, 200))))
        elif mistake == "characters":
            parts.append(with_length(body, len(body.decode())))
        else:
            parts.append(with_length(body, data.draw(st.sampled_from(["-1", "x", "1.5"]))))
    frames = read_all(FrameReader(Chunks(split(b"".join(parts), sizes))))

    kept = [m for n, m in enumerate(messages) if n != bad or mistake == "junk"]
    assert [f for f in frames if isinstance(f, bytes) and f in messages] == kept
    assert any(isinstance(f, Misframed) for f in frames)


# -- input that is not there yet -----------------------------------------------------------------


def read_resumably(chunks: list[bytes], max_body: int = MAX_BODY) -> list[Frame]:
    """Read as the server's event loop does: ``read_chunk`` says `NoInputYet` until the
    next chunk has arrived, and the reader is asked again."""
    arrived: list[bytes] = []
    ended = False

    def read_chunk(size: int) -> bytes:
        if arrived:
            return arrived.pop(0)
        if ended:
            return b""
        raise NoInputYet

    reader = FrameReader(read_chunk, max_body=max_body)
    waiting = [c for c in chunks if c]
    frames: list[Frame] = []
    for _ in range(2 * len(waiting) + 1_000):
        try:
            item = reader.read()
        except NoInputYet:
            if waiting:
                arrived.append(waiting.pop(0))
            else:
                ended = True
            continue
        if item is None:
            return frames
        frames.append(item)
    raise AssertionError("the reader never reached the end of its input")


parts = st.sampled_from(["frame", "junk", "shorter", "longer", "oversized", "no number"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(parts, min_size=1, max_size=8),
    st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=30),
)
def test_a_reader_told_there_is_no_input_yet_reads_what_a_waiting_one_reads(
    kinds: list[str], sizes: list[int]
) -> None:
    pieces = []
    for n, kind in enumerate(kinds):
        body = request(n, "x" * (2 * MAX_BODY if kind == "oversized" else n))
        if kind in ("frame", "oversized"):
            pieces.append(frame(body))
        elif kind == "junk":
            pieces.append(b"junk {" + frame(body))
        elif kind == "shorter":
            pieces.append(with_length(body, len(body) // 2))
        elif kind == "longer":
            pieces.append(with_length(body, len(body) + 40))
        else:
            pieces.append(with_length(body, "x"))
    chunks = split(b"".join(pieces), sizes)

    assert read_resumably(chunks) == read_all(FrameReader(Chunks(chunks), max_body=MAX_BODY))
