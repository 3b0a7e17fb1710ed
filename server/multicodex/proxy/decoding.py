"""Request bodies as JSON: ``zstd`` and ``gzip`` decoded (the Codex CLI compresses), the
decoded size bounded as it is produced, so a small bomb cannot fill memory."""

from __future__ import annotations

import json
import zlib
from typing import Any

from backports.zstd import ZstdDecompressor, ZstdError

from multicodex.proxy.asgi import BodyTooLarge


class BadBody(ValueError):
    """The body cannot be decoded or is not a JSON object."""


def decoded(raw: bytes, encoding: str, limit: int) -> bytes:
    """``raw`` after its ``Content-Encoding``; raises `BodyTooLarge` past ``limit`` bytes."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return raw
    try:
        if name == "zstd":
            return _unzstd(raw, limit)
        if name in ("gzip", "x-gzip", "deflate"):
            return _inflate(raw, limit, gzip=name != "deflate")
    except (ZstdError, zlib.error) as exc:
        raise BadBody(f"the body is not valid {name}") from exc
    raise BadBody(f"unsupported content-encoding {encoding!r}")


def json_object(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadBody("the body is not valid JSON") from exc
    if not isinstance(value, dict):
        raise BadBody("the body is not a JSON object")
    return value


def _unzstd(raw: bytes, limit: int) -> bytes:
    decompressor = ZstdDecompressor()
    out = decompressor.decompress(raw, max_length=limit + 1)
    if len(out) > limit or (not decompressor.eof and not decompressor.needs_input):
        raise BodyTooLarge
    if not decompressor.eof:
        raise BadBody("the zstd body ends before its frame does")
    return out


def _inflate(raw: bytes, limit: int, *, gzip: bool) -> bytes:
    decompressor = zlib.decompressobj(wbits=31 if gzip else 15)
    out = decompressor.decompress(raw, limit + 1)
    if len(out) > limit or decompressor.unconsumed_tail:
        raise BodyTooLarge
    return out
