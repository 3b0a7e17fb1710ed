"""Incremental Server-Sent Events parser working on raw bytes.

The Codex backend streams thousands of small events per response, so this sits on the hot
path. It works on bytes rather than text: a newline byte never occurs inside a multi-byte
UTF-8 sequence, so splitting on it is safe even when a chunk ends mid-character, and the
JSON payloads go to ``json.loads`` without an intermediate decode. Only complete lines are
interpreted; the unterminated tail of a chunk waits for the next one.

Nearly every event the backend sends is one ``event: NAME`` line and one ``data: JSON``
line; a chunk that starts at an event boundary is cut at its blank lines, and each event
of that shape is taken whole, without going line by line (which was a fifth of the cost of
relaying a delta). Anything else goes through the line rules, with the same result.
"""

from __future__ import annotations

from typing import NamedTuple

_DATA = b"data:"
_EVENT = b"event:"
_EVENT_LINE = b"event: "
_DATA_LINE = b"\ndata: "
_SPACE = 0x20
_COLON = 0x3A
DONE_SENTINEL = b"[DONE]"
DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024
"""Far above any real event (a final response with encrypted reasoning is a few MB)."""


class SSEProtocolError(ValueError):
    """The byte stream cannot be a sane event stream (an endless unterminated line)."""


class SSEEvent(NamedTuple):
    """One dispatched event: the ``event:`` name (None when absent) and the joined data."""

    event: str | None
    data: bytes


class SSEParser:
    """Feed it chunks as they arrive; it returns the events each chunk completes."""

    __slots__ = ("_data", "_event", "_max_line", "_pending_cr", "_tail")

    def __init__(self, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES) -> None:
        self._max_line = max_line_bytes
        self._tail = b""
        self._pending_cr = False
        self._event: str | None = None
        self._data: list[bytes] | None = None

    def feed(self, chunk: bytes) -> list[SSEEvent]:
        if self.at_boundary() and b"\r" not in chunk:
            return self._feed_events(chunk)
        return self._feed_lines(chunk)

    def _feed_lines(self, chunk: bytes) -> list[SSEEvent]:
        lines = self._split_lines(chunk)
        if not lines:
            return []
        return self._interpret(lines)

    def _feed_events(self, chunk: bytes) -> list[SSEEvent]:
        """``feed`` for a chunk that starts at an event boundary and holds no CR: each
        complete ``event: NAME`` + ``data: LINE`` event is taken at once, anything else
        (and the unfinished end) by the line rules."""
        events: list[SSEEvent] = []
        blocks = chunk.split(b"\n\n")
        rest = blocks.pop()
        for block in blocks:
            if block.startswith(_EVENT_LINE):
                newline = block.find(b"\n")
                if (
                    newline > 0
                    and block.startswith(_DATA_LINE, newline)
                    and block.find(b"\n", newline + 1) < 0
                ):
                    name = block[7:newline].decode("utf-8", "replace")
                    events.append(SSEEvent(name, block[newline + 7 :]))
                    continue
            if block:
                events += self._interpret([*block.split(b"\n"), b""])
        if rest:
            events += self._feed_lines(rest)
        return events

    def at_boundary(self) -> bool:
        """Whether everything fed so far ended with a complete event (nothing pending)."""
        return (
            not self._tail and self._data is None and self._event is None and not self._pending_cr
        )

    def flush(self) -> list[SSEEvent]:
        """End of stream: interpret an unterminated last line and dispatch what is pending.

        Strictly, SSE drops an event that lacks its closing blank line; we keep it, because
        a complete ``data:`` line is worth more than pedantry when a server forgets the
        final newline. A truncated JSON payload is rejected later by the JSON decoder.
        """
        lines = [self._tail] if self._tail else []
        self._tail = b""
        self._pending_cr = False
        lines.append(b"")
        return self._interpret(lines)

    def _split_lines(self, chunk: bytes) -> list[bytes]:
        if self._pending_cr:
            chunk = b"\r" + chunk
            self._pending_cr = False
        if b"\r" in chunk:
            # A CR at the very end may be the first half of a CRLF split across chunks.
            if chunk[-1] == 0x0D:
                self._pending_cr = True
                chunk = chunk[:-1]
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if self._tail:
            chunk = self._tail + chunk
        lines = chunk.split(b"\n")
        self._tail = lines.pop()
        if len(self._tail) > self._max_line:
            raise SSEProtocolError(f"unterminated line longer than {self._max_line} bytes")
        return lines

    def _interpret(self, lines: list[bytes]) -> list[SSEEvent]:
        events: list[SSEEvent] = []
        data = self._data
        event = self._event
        for line in lines:
            if line.startswith(_DATA):
                value = line[6:] if len(line) > 5 and line[5] == _SPACE else line[5:]
                if data is None:
                    data = [value]
                else:
                    data.append(value)
            elif not line:
                if data is not None:
                    events.append(SSEEvent(event, data[0] if len(data) == 1 else b"\n".join(data)))
                data = None
                event = None
            elif line.startswith(_EVENT):
                raw = line[7:] if len(line) > 6 and line[6] == _SPACE else line[6:]
                event = raw.decode("utf-8", "replace")
            elif line[0] == _COLON:
                continue
            else:
                data, event = self._other_field(line, data, event)
        self._data = data
        self._event = event
        return events

    @staticmethod
    def _other_field(
        line: bytes, data: list[bytes] | None, event: str | None
    ) -> tuple[list[bytes] | None, str | None]:
        """Rare spellings: a field name without a colon, and fields we do not use (id, retry)."""
        name, _, _ = line.partition(b":")
        if name == b"data":
            return ([b""] if data is None else [*data, b""]), event
        if name == b"event":
            return data, ""
        return data, event
