"""LSP framing: ``Content-Length`` headers, then that many bytes of body.

The reader never goes deaf on a client's framing mistake. Bytes that are not a frame (junk,
a header block without a usable Content-Length) are reported once and skipped up to the
next ``Content-Length`` header. A Content-Length that is too small leaves the rest of the
body as such junk. One that is too large is caught by what a JSON body cannot contain: a
``Content-Length: N`` line (a raw line break is never valid inside a JSON string), or a
complete JSON object followed by nothing while more bytes are still expected. Either way
the body ends where the message did, and the next frame is read as usual.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass

MAX_HEADER_LINE = 64 * 1024
MAX_BODY_BYTES = 64 * 1024 * 1024
HEAD_BYTES = 64 * 1024
"""How much of a bad message is kept, to answer it with its id."""
_READ_CHUNK = 256 * 1024

_TOKEN = rb"[!#$%&'*+.^_`|~0-9A-Za-z-]"
_HEADER_START = re.compile(_TOKEN + rb"+[ \t]*:")
_HEADER_PREFIX = re.compile(_TOKEN + rb"*[ \t]*\r?")
"""A partial line that may still become a header line once the rest of it arrives."""
_LENGTH_NAME = re.compile(rb"content-length", re.IGNORECASE)
_LENGTH_LINE = re.compile(rb"content-length[ \t]*:[ \t]*\d+[ \t]*\r?\n", re.IGNORECASE)
_LINE_REACH = 96
"""How far before its line break a Content-Length line inside a body is looked for."""


def _any_prefix(steps: list[bytes]) -> bytes:
    """A pattern for the first step followed by any number of the next ones, in order."""
    pattern = steps[-1]
    for step in reversed(steps[:-1]):
        pattern = step + b"(?:" + pattern + b")?"
    return pattern


_LENGTH_LINE_BEGUN = re.compile(
    _any_prefix(
        [re.escape(bytes([c])) for c in b"content-length"]
        + [rb"[ \t]*", b":", rb"[ \t]*\d*[ \t]*\r?"]
    )
    + rb"\Z",
    re.IGNORECASE,
)
"""The start of a Content-Length line at the very end of what has arrived."""
_BETWEEN_FRAMES = frozenset(b" \t\r\n")
_OBJECT_ENDS = frozenset(b"}]")

NOT_A_FRAME = "bytes outside a frame (a frame starts with a Content-Length header)"
NO_LENGTH = "a header block without Content-Length"
BAD_LENGTH = "a Content-Length that is not a number of bytes"


@dataclass(frozen=True)
class Misframed:
    """Bytes that were not a frame, or a body cut short because its Content-Length was
    larger than the message; ``head`` is the start of what may have been a message."""

    reason: str
    head: bytes


@dataclass(frozen=True)
class Oversized:
    """A frame whose body was larger than the reader keeps, ``limit`` (it was skipped)."""

    length: int
    limit: int
    head: bytes


Frame = bytes | Misframed | Oversized


class NoInputYet(Exception):
    """Raised by a non-blocking ``read_chunk`` that has nothing yet. `FrameReader.read`
    lets it through and keeps its place: called again once more bytes have arrived, it
    goes on from there."""


@dataclass
class _BodyProgress:
    """A body being read: what `FrameReader._body` has got to so far."""

    length: int
    keep: bool
    head: bytearray
    dropped: int = 0
    scanned: int = 0


@dataclass(frozen=True)
class _Block:
    """A header block at the start of the buffer: its size, and its length or problem."""

    size: int
    length: int | None
    problem: str | None


class FrameReader:
    """Reads one frame at a time from ``read_chunk`` (an ``os.read``-like callable).

    It buffers by itself instead of using ``sys.stdin.buffer``: a daemon thread blocked
    inside a BufferedReader makes the interpreter abort at exit (it cannot take the
    reader's lock to finalize it).
    """

    def __init__(self, read_chunk: Callable[[int], bytes], max_body: int = MAX_BODY_BYTES) -> None:
        self._read_chunk = read_chunk
        self._max_body = max_body
        self._buffer = bytearray()
        self._resyncing = False
        """A problem was reported: skip silently up to the next valid frame."""
        self._ended = False
        self._body_progress: _BodyProgress | None = None
        """The body under way when ``read_chunk`` last had nothing (its header is read)."""

    @property
    def buffered(self) -> bool:
        """Whether bytes read from the input wait here for a frame."""
        return bool(self._buffer)

    def read(self) -> Frame | None:
        """The next body, or what was wrong instead of one; None at end of input.
        `NoInputYet` from ``read_chunk`` goes through (see there)."""
        item = None if self._ended else self._next()
        if item is None:
            self._ended = True
            self._buffer.clear()
        return item

    def _next(self) -> Frame | None:
        if self._body_progress is not None:
            return self._finish_body()
        while True:
            if self._resyncing and not self._seek_length_header():
                return None
            if not self._skip_between_frames():
                return None
            block = self._header_block()
            if block is None:
                return None
            if block.length is not None:
                self._resyncing = False
                del self._buffer[: block.size]
                keep = block.length <= self._max_body
                self._body_progress = _BodyProgress(block.length, keep, bytearray())
                return self._finish_body()
            report = None
            if not self._resyncing:
                report = Misframed(block.problem or NOT_A_FRAME, self._head(block.size))
            # one byte only: a Content-Length header may hide in what looked like a header
            del self._buffer[:1]
            self._resyncing = True
            if report is not None:
                return report

    # -- headers ---------------------------------------------------------------------------

    def _header_block(self) -> _Block | None:
        """The header block at the start of the buffer (not consumed); None at EOF."""
        pos = 0
        length: int | None = None
        problem: str | None = None
        while True:
            end = self._line_end(pos)
            if end is None:
                return None
            if end < 0:
                return _Block(0, None, NOT_A_FRAME)
            line = bytes(self._buffer[pos:end]).rstrip(b"\r")
            pos = end + 1
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.rstrip(b" \t").lower() == b"content-length":
                number = value.strip(b" \t")
                if number.isdigit():
                    length = int(number)
                else:
                    problem = BAD_LENGTH
        if problem is None and length is None:
            problem = NO_LENGTH
        return _Block(pos, None if problem else length, problem)

    def _line_end(self, pos: int) -> int | None:
        """Where the header line at ``pos`` ends (its newline); -1 when the bytes there
        cannot be a header line; None at EOF."""
        while True:
            limit = min(len(self._buffer), pos + MAX_HEADER_LINE)
            end = self._buffer.find(b"\n", pos, limit)
            if end >= 0:
                text_end = end - 1 if end > pos and self._buffer[end - 1] == 0x0D else end
                blank = text_end == pos
                return end if blank or _HEADER_START.match(self._buffer, pos, text_end) else -1
            partial = _HEADER_START.match(self._buffer, pos, limit) or _HEADER_PREFIX.fullmatch(
                self._buffer, pos, limit
            )
            if not partial or limit - pos >= MAX_HEADER_LINE:
                return -1
            if not self._fill():
                return None

    def _skip_between_frames(self) -> bool:
        """Drop line breaks and blanks before a frame; False at EOF."""
        while True:
            blanks = 0
            while blanks < len(self._buffer) and self._buffer[blanks] in _BETWEEN_FRAMES:
                blanks += 1
            del self._buffer[:blanks]
            if self._buffer:
                return True
            if not self._fill():
                return False

    def _seek_length_header(self) -> bool:
        """Drop everything before the next ``Content-Length``; False at EOF."""
        overlap = len(b"content-length") - 1
        while True:
            found = _LENGTH_NAME.search(self._buffer)
            if found is not None:
                del self._buffer[: found.start()]
                return True
            del self._buffer[: max(0, len(self._buffer) - overlap)]
            if not self._fill():
                return False

    def _head(self, start: int) -> bytes:
        """What is buffered from ``start``, up to the next Content-Length (at most
        HEAD_BYTES): the bytes that may have been meant as a message."""
        stop = min(len(self._buffer), start + HEAD_BYTES)
        following = _LENGTH_NAME.search(self._buffer, start + 1, stop)
        return bytes(self._buffer[start : following.start() if following else stop])

    # -- bodies ----------------------------------------------------------------------------

    def _finish_body(self) -> Frame | None:
        """`_body`, then the progress forgotten (`NoInputYet` leaves it for the next call)."""
        frame = self._body()
        self._body_progress = None
        return frame

    def _body(self) -> Frame | None:
        """The body under way (`_body_progress`), unless the message ends before it
        (Misframed); beyond ``max_body`` only the head is kept (Oversized)."""
        progress = self._body_progress
        assert progress is not None
        length, head = progress.length, progress.head
        while True:
            end = length - progress.dropped
            cut, progress.scanned = self._length_line_before(end, progress.scanned)
            if cut is not None:
                return self._cut(cut, head, length)
            if len(self._buffer) >= end and not self._length_line_begun(end):
                body = self._pop(end)
                if progress.keep:
                    return body
                return Oversized(length, self._max_body, _joined_head(head, body))
            if progress.dropped == 0 and _complete_json(self._buffer):
                return self._cut(len(self._buffer), head, length)
            if not progress.keep:
                drop = self._drop_scanned(head)
                progress.dropped += drop
                progress.scanned = max(0, progress.scanned - drop)
            if not self._fill():
                return None

    def _length_line_before(self, end: int, scanned: int) -> tuple[int | None, int]:
        """Where a ``Content-Length: N`` line starting before ``end`` begins (None if there
        is none), checking line breaks from ``scanned``; and how far that check got."""
        limit = min(len(self._buffer), end + _LINE_REACH)
        newline = self._buffer.find(b"\n", scanned, limit)
        while newline >= 0:
            line = _LENGTH_LINE.search(self._buffer, max(0, newline - _LINE_REACH), newline + 1)
            if line is not None and line.start() < end:
                return line.start(), limit
            newline = self._buffer.find(b"\n", newline + 1, limit)
        return None, max(scanned, limit)

    def _length_line_begun(self, end: int) -> bool:
        """Whether the last bytes that arrived may be a Content-Length line starting
        before ``end``, its line break still to come: then the body ends there."""
        start = max(0, end - _LINE_REACH, len(self._buffer) - _LINE_REACH)
        start = max(start, self._buffer.rfind(b"\n", start) + 1)
        if start >= end:
            return False
        begun = _LENGTH_LINE_BEGUN.search(self._buffer, start)
        return begun is not None and begun.start() < end

    def _drop_scanned(self, head: bytearray) -> int:
        """Let go of a skipped body's bytes, keeping its head and the last few bytes (a
        Content-Length line may start there)."""
        drop = max(0, len(self._buffer) - _LINE_REACH)
        head += self._buffer[: max(0, min(drop, HEAD_BYTES - len(head)))]
        del self._buffer[:drop]
        return drop

    def _cut(self, at: int, head: bytearray, length: int) -> Misframed:
        reason = f"a Content-Length ({length}) larger than the message"
        return Misframed(reason, _joined_head(head, self._pop(at)))

    # -- buffer ----------------------------------------------------------------------------

    def _fill(self) -> bool:
        chunk = self._chunk(_READ_CHUNK)
        self._buffer += chunk
        return bool(chunk)

    def _chunk(self, size: int) -> bytes:
        try:
            return self._read_chunk(size)
        except OSError:
            return b""

    def _pop(self, size: int) -> bytes:
        data = bytes(self._buffer[:size])
        del self._buffer[:size]
        return data


def _joined_head(head: bytearray, rest: bytes) -> bytes:
    return bytes(head + rest[: max(0, HEAD_BYTES - len(head))])


def _complete_json(data: bytearray) -> bool:
    """Whether ``data`` already is a whole JSON object or array: nothing but blanks may
    follow one, so a body that still expects more bytes was given too large a length."""
    last = len(data) - 1
    while last >= 0 and data[last] in _BETWEEN_FRAMES:
        last -= 1
    if last < 0 or data[last] not in _OBJECT_ENDS:
        return False
    try:
        json.loads(data)
    except Exception:  # not JSON (yet), bad UTF-8, or nested too deep
        return False
    return True
