"""LSP base-protocol framing as a client needs it: a message to a ``Content-Length`` frame,
and the bytes read from a server back to whole frame bodies."""

from __future__ import annotations

import json
from typing import Any

HEADER_END = b"\r\n\r\n"


def frame(body: bytes) -> bytes:
    """``body`` behind its ``Content-Length`` header (the body may be anything: tests frame
    malformed JSON on purpose)."""
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def encode(message: Any) -> bytes:
    return frame(json.dumps(message, separators=(",", ":")).encode())


def content_length(header: bytes) -> int:
    """The ``Content-Length`` of a frame's header block (lines joined by CRLF)."""
    for line in header.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError(f"frame header without Content-Length: {header!r}")


class FrameSplitter:
    """Bytes in, however they were chunked; complete frame bodies out."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        buffer = self._buffer
        buffer += data
        bodies: list[bytes] = []
        position = 0
        while True:
            header_end = buffer.find(HEADER_END, position)
            if header_end < 0:
                break
            start = header_end + len(HEADER_END)
            end = start + content_length(bytes(buffer[position:header_end]))
            if len(buffer) < end:
                break
            bodies.append(bytes(buffer[start:end]))
            position = end
        del buffer[:position]
        return bodies
