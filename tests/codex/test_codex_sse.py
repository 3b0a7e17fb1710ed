"""The incremental SSE parser: framing rules, and re-chunking never changes the events."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multicodex.codex.sse import SSEEvent, SSEParser, SSEProtocolError


def parse_all(chunks: list[bytes]) -> list[SSEEvent]:
    parser = SSEParser()
    events: list[SSEEvent] = []
    for chunk in chunks:
        events.extend(parser.feed(chunk))
    events.extend(parser.flush())
    return events


def test_event_and_data_lines_make_one_event() -> None:
    stream = b'event: response.created\ndata: {"type":"response.created"}\n\n'
    assert parse_all([stream]) == [SSEEvent("response.created", b'{"type":"response.created"}')]


def test_event_is_dispatched_only_at_the_blank_line() -> None:
    parser = SSEParser()
    assert parser.feed(b"event: a\ndata: 1\n") == []
    assert parser.feed(b"\n") == [SSEEvent("a", b"1")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert parse_all([b"data: first\ndata: second\ndata:third\n\n"]) == [
        SSEEvent(None, b"first\nsecond\nthird")
    ]


def test_only_one_leading_space_is_stripped() -> None:
    assert parse_all([b"data:  two spaces\n\n"]) == [SSEEvent(None, b" two spaces")]


def test_crlf_and_bare_cr_line_endings() -> None:
    crlf = b"event: x\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n"
    cr = b"event: x\rdata: 1\r\rdata: 2\r\r"
    expected = [SSEEvent("x", b"1"), SSEEvent(None, b"2")]
    assert parse_all([crlf]) == expected
    assert parse_all([cr]) == expected


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    assert parse_all([b"data: 1\r", b"\n\r", b"\ndata: 2\r\n\r\n"]) == [
        SSEEvent(None, b"1"),
        SSEEvent(None, b"2"),
    ]


def test_comments_and_unknown_fields_are_ignored() -> None:
    stream = b": keep-alive\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n: trailing comment\n\n"
    assert parse_all([stream]) == [SSEEvent(None, b"x")]


def test_field_names_without_colon() -> None:
    assert parse_all([b"event\ndata\n\n"]) == [SSEEvent("", b"")]


def test_blank_lines_without_data_dispatch_nothing_and_reset_the_name() -> None:
    assert parse_all([b"\n\nevent: lost\n\ndata: 1\n\n"]) == [SSEEvent(None, b"1")]


def test_done_sentinel_is_delivered_as_data() -> None:
    stream = b'data: {"type":"response.completed"}\n\ndata: [DONE]\n\n'
    assert [e.data for e in parse_all([stream])] == [b'{"type":"response.completed"}', b"[DONE]"]


def test_flush_keeps_an_event_missing_its_final_blank_line() -> None:
    assert parse_all([b"data: 1\n\ndata: 2"]) == [SSEEvent(None, b"1"), SSEEvent(None, b"2")]


def test_chunk_boundary_inside_a_multibyte_character() -> None:
    payload = json.dumps({"delta": "héllo → 世界 🎉"}, ensure_ascii=False).encode()
    stream = b"data: " + payload + b"\n\n"
    one_byte_chunks = [stream[i : i + 1] for i in range(len(stream))]
    events = parse_all(one_byte_chunks)
    assert events == [SSEEvent(None, payload)]
    assert json.loads(events[0].data)["delta"] == "héllo → 世界 🎉"


def test_parser_keeps_no_copy_of_dispatched_events() -> None:
    parser = SSEParser()
    parser.feed(b"data: " + b"x" * 10_000 + b"\n\n")
    parser.feed(b"data: partial")
    assert parser.flush() == [SSEEvent(None, b"partial")]
    assert parser.flush() == []


texts = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="\r\n"),
    max_size=30,
)
event_specs = st.lists(
    st.tuples(
        st.one_of(st.none(), st.sampled_from(["response.output_text.delta", "error", "x"])),
        st.lists(texts, min_size=1, max_size=3),
        st.booleans(),  # a comment line before the event
    ),
    min_size=1,
    max_size=8,
)


def render(specs: list[tuple[str | None, list[str], bool]], newline: bytes) -> bytes:
    out = bytearray()
    for name, data_lines, comment in specs:
        if comment:
            out += b": ping" + newline
        if name is not None:
            out += b"event: " + name.encode() + newline
        for line in data_lines:
            out += b"data: " + line.encode() + newline
        out += newline
    return bytes(out)


@settings(max_examples=300, deadline=None)
@given(
    specs=event_specs,
    newline=st.sampled_from([b"\n", b"\r\n", b"\r"]),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
)
def test_any_rechunking_yields_identical_events(
    specs: list[tuple[str | None, list[str], bool]], newline: bytes, cuts: list[int]
) -> None:
    stream = render(specs, newline)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks = [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]
    whole = parse_all([stream])
    assert parse_all(chunks) == whole
    expected = [SSEEvent(name, "\n".join(lines).encode()) for name, lines, _ in specs]
    assert whole == expected


sse_lines = st.sampled_from(
    [
        b"",
        b"",
        b"event: a",
        b"event: response.output_text.delta",
        b"event:b",
        b"event",
        b"event: ",
        b"data: {}",
        b"data:x",
        b"data",
        b"data: ",
        b": ping",
        b"id: 7",
        b"x",
        "event: \u00e9".encode(),
    ]
)


@settings(max_examples=1000, deadline=None)
@given(lines=st.lists(sse_lines, max_size=30), end=st.sampled_from([b"", b"\n", b"\n\n"]))
def test_events_taken_whole_are_the_events_of_the_line_rules(
    lines: list[bytes], end: bytes
) -> None:
    # One byte at a time, no chunk ever holds a whole event: every event goes through the
    # line rules. In one chunk, the events of the usual shape are taken whole.
    stream = b"\n".join(lines) + end
    assert parse_all([stream]) == parse_all([stream[i : i + 1] for i in range(len(stream))])


def test_an_endless_unterminated_line_is_refused() -> None:
    parser = SSEParser(max_line_bytes=1000)
    parser.feed(b"data: " + b"x" * 900)
    with pytest.raises(SSEProtocolError):
        parser.feed(b"x" * 200)
    assert SSEParser(max_line_bytes=1000).feed(b"data: " + b"x" * 2000 + b"\n\n")[0].data
