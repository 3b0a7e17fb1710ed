"""Compressed answers for clients that ask (`accept-encoding: zstd,gzip`, Codex CLI 0.171).

JSON answers are compressed whole (with a content length); event streams frame by frame,
each flushed at once, so a client decodes every event as soon as it arrives.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Literal, Protocol

import zstandard
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from multicodex_emulator.scope import RECORD_KEY

Coding = Literal["zstd", "gzip"]
_PREFERENCE: tuple[Coding, ...] = ("zstd", "gzip")
_UNCOMPRESSED_STATUSES = frozenset({204, 304})


class _Encoder(Protocol):
    def chunk(self, data: bytes) -> bytes: ...
    def finish(self) -> bytes: ...


class _ZstdEncoder:
    def __init__(self) -> None:
        self._compressor = zstandard.ZstdCompressor().compressobj()

    def chunk(self, data: bytes) -> bytes:
        return self._compressor.compress(data) + self._compressor.flush(
            zstandard.COMPRESSOBJ_FLUSH_BLOCK
        )

    def finish(self) -> bytes:
        return self._compressor.flush()


class _GzipEncoder:
    def __init__(self) -> None:
        self._compressor = zlib.compressobj(wbits=31)

    def chunk(self, data: bytes) -> bytes:
        return self._compressor.compress(data) + self._compressor.flush(zlib.Z_SYNC_FLUSH)

    def finish(self) -> bytes:
        return self._compressor.flush()


def _encoder(coding: Coding) -> _Encoder:
    return _ZstdEncoder() if coding == "zstd" else _GzipEncoder()


def preferred_coding(accept_encoding: str) -> Coding | None:
    """zstd when accepted, else gzip, else None (`;q=0` refuses a coding)."""
    accepted: set[str] = set()
    for item in accept_encoding.lower().split(","):
        name, _, params = item.partition(";")
        quality = params.strip().removeprefix("q=").strip()
        if quality and _is_zero(quality):
            continue
        accepted.add(name.strip())
    return next((c for c in _PREFERENCE if c in accepted), None)


def _is_zero(quality: str) -> bool:
    try:
        return float(quality) == 0.0
    except ValueError:
        return False


class CompressionMiddleware:
    """Compresses answers on paths outside `skip_prefix` while `enabled()` holds."""

    def __init__(self, app: ASGIApp, enabled: Callable[[], bool], skip_prefix: str) -> None:
        self._app = app
        self._enabled = enabled
        self._skip_prefix = skip_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        coding = None
        if scope["type"] == "http" and not scope["path"].startswith(self._skip_prefix):
            coding = preferred_coding(Headers(scope=scope).get("accept-encoding", ""))
        if coding is None or not self._enabled():
            await self._app(scope, receive, send)
            return
        await self._app(scope, receive, _CompressingSend(send, coding, scope))


class _CompressingSend:
    def __init__(self, send: Send, coding: Coding, scope: Scope) -> None:
        self._send = send
        self._coding = coding
        self._scope = scope
        self._start: Message | None = None
        self._encoder: _Encoder | None = None
        self._streaming = False
        self._buffer = bytearray()

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            await self._on_start(message)
        elif message["type"] == "http.response.body" and self._encoder is not None:
            await self._on_body(message, self._encoder)
        else:
            await self._send(message)

    async def _on_start(self, message: Message) -> None:
        headers = Headers(raw=message["headers"])
        if message["status"] in _UNCOMPRESSED_STATUSES or "content-encoding" in headers:
            await self._send(message)
            return
        self._encoder = _encoder(self._coding)
        self._streaming = headers.get("content-type", "").startswith("text/event-stream")
        self._start = message
        if self._streaming:
            await self._send(self._compressed_start(None))

    async def _on_body(self, message: Message, encoder: _Encoder) -> None:
        body: bytes = message.get("body", b"")
        more = bool(message.get("more_body", False))
        if self._streaming:
            data = encoder.chunk(body) if body else b""
            if not more:
                data += encoder.finish()
            await self._send({"type": "http.response.body", "body": data, "more_body": more})
            return
        self._buffer.extend(body)
        if more:
            return
        if not self._buffer:
            await self._send(self._require_start())
            await self._send(message)
            return
        data = encoder.chunk(bytes(self._buffer)) + encoder.finish()
        await self._send(self._compressed_start(len(data)))
        await self._send({"type": "http.response.body", "body": data, "more_body": False})

    def _require_start(self) -> Message:
        assert self._start is not None
        return self._start

    def _compressed_start(self, length: int | None) -> Message:
        start = self._require_start()
        headers = MutableHeaders(raw=list(start["headers"]))
        del headers["content-length"]
        if length is not None:
            headers["content-length"] = str(length)
        headers["content-encoding"] = self._coding
        headers.add_vary_header("accept-encoding")
        record = self._scope.get("state", {}).get(RECORD_KEY)
        if record is not None:
            record.response_encoding = self._coding
        return {**start, "headers": headers.raw}
