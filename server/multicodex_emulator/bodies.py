"""Request bodies as the emulator accepts them: zstd/gzip/deflate, JSON or form encoded."""

from __future__ import annotations

import hashlib
import io
import json
import zlib
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

import zstandard
from starlette.requests import Request

from multicodex_emulator.scope import note

MAX_BODY_BYTES = 32 * 1024 * 1024


class BodyError(ValueError):
    """The body cannot be decoded; the message is safe to send back."""


@dataclass(frozen=True)
class ParsedBody:
    encoding: Literal["none", "json", "form", "other"]
    value: Any


async def read_body(request: Request) -> ParsedBody:
    """Decode the body and note it in the request's log record."""
    raw = await request.body()
    content_encoding = request.headers.get("content-encoding", "").strip().lower()
    data = _decompress(raw, content_encoding)
    parsed = _parse(data, request.headers.get("content-type", ""))
    digest = hashlib.sha256(data).hexdigest()
    note(request, body=parsed.value, body_encoding=parsed.encoding, body_sha256=digest)
    return parsed


def _decompress(raw: bytes, content_encoding: str) -> bytes:
    if content_encoding in ("", "identity"):
        return raw
    try:
        if content_encoding == "zstd":
            reader = zstandard.ZstdDecompressor().stream_reader(
                io.BytesIO(raw), read_across_frames=True
            )
            data: bytes = reader.read(MAX_BODY_BYTES + 1)
        elif content_encoding == "gzip":
            data = zlib.decompressobj(wbits=31).decompress(raw, MAX_BODY_BYTES + 1)
        elif content_encoding == "deflate":
            data = zlib.decompressobj().decompress(raw, MAX_BODY_BYTES + 1)
        else:
            raise BodyError(f"Unsupported content encoding: {content_encoding}")
    except (zstandard.ZstdError, zlib.error) as exc:
        raise BodyError(f"Could not decode {content_encoding} request body") from exc
    if len(data) > MAX_BODY_BYTES:
        raise BodyError("Request body too large")
    return data


def _parse(data: bytes, content_type: str) -> ParsedBody:
    if not data:
        return ParsedBody("none", None)
    media_type = content_type.split(";", 1)[0].strip().lower()
    text = data.decode("utf-8", errors="replace")
    if media_type == "application/x-www-form-urlencoded":
        return ParsedBody("form", dict(parse_qsl(text, keep_blank_values=True)))
    try:
        return ParsedBody("json", json.loads(text))
    except ValueError as exc:
        if media_type in ("application/json", ""):
            raise BodyError("We could not parse the JSON body of your request.") from exc
        return ParsedBody("other", text)
