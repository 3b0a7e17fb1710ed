"""The image parts of a completion's input, checked before any account is tried.

The backend takes ``input_image`` parts whose ``image_url`` is a ``data:`` URL (base64) or
an https URL. A part it cannot use would fail the request on every account, or worse be
ignored by the model; so each one is checked here and a bad one is refused with
INVALID_PARAMS naming the part and what is wrong, never dropped.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from typing import Any, Final

from multicodex.app.errors import AppError, invalid_field

IMAGE_MEDIA_TYPES: Final = ("image/png", "image/jpeg", "image/gif", "image/webp")
MAX_IMAGE_BYTES: Final = 20 * 1024 * 1024
"""The most a data: URL image may decode to (the backend's own limit per image)."""
_DATA_URL = re.compile(r"data:(?P<media>[^;,]*)(?P<params>(?:;[^;,]*)*),(?P<payload>.*)", re.S)


def check_input_images(items: list[dict[str, Any]]) -> None:
    """Raise INVALID_PARAMS for the first image part the backend could not use."""
    for field, part in _image_parts(items):
        problem = image_problem(part)
        if problem is not None:
            raise _refused(field, problem)


def image_problem(part: dict[str, Any]) -> str | None:
    """What is wrong with one ``input_image`` part, as a predicate; None when usable."""
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        if part.get("file_id") is not None:
            return "refers to an uploaded file (file_id), which the Codex backend does not keep"
        return "has no image_url"
    if url.startswith("https://"):
        return None
    if not url.startswith("data:"):
        return "is neither a data: URL nor an https URL"
    return _data_url_problem(url)


def _data_url_problem(url: str) -> str | None:
    match = _DATA_URL.fullmatch(url)
    if match is None:
        return "is not a well-formed data: URL"
    media = match["media"].strip().lower()
    if media not in IMAGE_MEDIA_TYPES:
        accepted = ", ".join(t.removeprefix("image/") for t in IMAGE_MEDIA_TYPES)
        return f"is {media or 'of no media type'}; images must be {accepted}"
    if "base64" not in (p.strip().lower() for p in match["params"].split(";")):
        return "is a data: URL without ;base64 (images are sent base64-encoded)"
    payload = match["payload"]
    if len(payload) // 4 * 3 > MAX_IMAGE_BYTES + 3:  # refused before decoding it
        return _too_large(len(payload) // 4 * 3)
    try:
        size = len(base64.b64decode(payload, validate=True))
    except (binascii.Error, ValueError):
        return "is not valid base64"
    return _too_large(size) if size > MAX_IMAGE_BYTES else None


def _too_large(size: int) -> str:
    limit_mb = MAX_IMAGE_BYTES // (1024 * 1024)
    return f"is {size / (1024 * 1024):.1f} MB; an image may be at most {limit_mb} MB"


def _image_parts(items: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every ``input_image`` part with its place in ``input``: inside a message's content,
    a function_call_output's output, or an item of its own."""
    for i, item in enumerate(items):
        if item.get("type") == "input_image":
            yield f"input[{i}]", item
        for key in ("content", "output"):
            parts = item.get(key)
            if not isinstance(parts, list):
                continue
            for j, part in enumerate(parts):
                if isinstance(part, dict) and part.get("type") == "input_image":
                    yield f"input[{i}].{key}[{j}]", part


def _refused(field: str, problem: str) -> AppError:
    return invalid_field(field, f"(an input_image) {problem}")
