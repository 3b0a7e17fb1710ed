"""What a Responses request's `input` holds, and the 400s the real backend gives for it.

Refused as the backend does: a `function_call_output` whose `call_id` has no
`function_call` before it in the input, a `function_call` left without an output, and an
`input_image` that is not a base64 data URL of a supported image type (plain URLs and
file ids are only logged). Reasoning items replayed with `encrypted_content` are
collected for the caller to verify against the account.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from multicodex_emulator.models import ImageSeen

SUPPORTED_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
_DATA_URL = re.compile(r"^data:(?P<media>[^;,]*)(?:;[^;,]*)*?;base64,(?P<data>.*)$", re.S)


@dataclass(frozen=True)
class InputProblem:
    """A 400 the backend would answer: its message and `param`."""

    message: str
    param: str | None = "input"


@dataclass
class InputSummary:
    item_types: list[str] = field(default_factory=list)
    tool_outputs: list[str] = field(default_factory=list)
    """`call_id`s the input answers with `function_call_output`, in order."""
    tool_output_texts: list[str] = field(default_factory=list)
    """The outputs of the input's trailing `function_call_output` items."""
    images: list[ImageSeen] = field(default_factory=list)
    encrypted_reasoning: list[str] = field(default_factory=list)
    problem: InputProblem | None = None
    """The first thing the backend refuses; the lists then hold what came before it."""


def inspect_input(items: list[Any]) -> InputSummary:
    summary = InputSummary(
        item_types=[
            str(item.get("type", "message")) if isinstance(item, dict) else type(item).__name__
            for item in items
        ]
    )
    calls: set[str] = set()
    for index, item in enumerate(items):
        if isinstance(item, dict):
            summary.problem = _take_item(summary, calls, index, item)
            if summary.problem is not None:
                return summary
    unanswered = sorted(calls - set(summary.tool_outputs))
    if unanswered:
        summary.problem = InputProblem(f"No tool output found for function call {unanswered[0]}.")
    summary.tool_output_texts = _trailing_outputs(items)
    return summary


def _take_item(
    summary: InputSummary, calls: set[str], index: int, item: dict[str, Any]
) -> InputProblem | None:
    kind = item.get("type", "message")
    if kind == "function_call":
        calls.add(str(item.get("call_id")))
    elif kind == "function_call_output":
        call_id = str(item.get("call_id"))
        if call_id not in calls:
            return InputProblem(
                f"No tool call found for function call output with call_id {call_id}."
            )
        summary.tool_outputs.append(call_id)
    elif kind == "reasoning" and isinstance(item.get("encrypted_content"), str):
        summary.encrypted_reasoning.append(item["encrypted_content"])
    elif kind == "message":
        for part_index, part in _image_parts(item):
            seen = _image(part, f"input[{index}].content[{part_index}].image_url")
            if isinstance(seen, InputProblem):
                return seen
            summary.images.append(seen)
    return None


def _image_parts(item: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    content = item.get("content")
    if isinstance(content, list):
        for part_index, part in enumerate(content):
            if isinstance(part, dict) and part.get("type") == "input_image":
                yield part_index, part


def _image(part: dict[str, Any], param: str) -> ImageSeen | InputProblem:
    url = part.get("image_url")
    if not isinstance(url, str):
        if isinstance(part.get("file_id"), str):
            return ImageSeen(source="file")
        return InputProblem(f"Missing required parameter: '{param}'.", param)
    if not url.startswith("data:"):
        return ImageSeen(source="url")
    match = _DATA_URL.match(url)
    if match is None:
        return _bad_image(param, "a data URL that is not base64-encoded")
    media_type = match["media"].strip().lower()
    if media_type not in SUPPORTED_IMAGE_TYPES:
        return _bad_image(param, f"unsupported MIME type '{match['media']}'")
    try:
        data = base64.b64decode(match["data"], validate=True)
    except (binascii.Error, ValueError):
        return _bad_image(param, "invalid base64-encoded bytes")
    if not data:
        return _bad_image(param, "empty base64-encoded bytes")
    return ImageSeen(source="data", media_type=media_type, bytes=len(data))


def _bad_image(param: str, got: str) -> InputProblem:
    return InputProblem(
        f"Invalid '{param}'. Expected a base64-encoded data URL with an image MIME type "
        f"(e.g. 'data:image/png;base64,aW1nIGJ5dGVzIGhlcmU='), but got {got}.",
        param,
    )


def _trailing_outputs(items: list[Any]) -> list[str]:
    outputs: list[str] = []
    for item in reversed(items):
        if not isinstance(item, dict) or item.get("type") != "function_call_output":
            break
        outputs.append(_output_text(item.get("output")))
    return outputs[::-1]


def _output_text(output: Any) -> str:
    if isinstance(output, str):
        return output
    if isinstance(output, list):
        return "".join(str(part.get("text", "")) for part in output if isinstance(part, dict))
    return ""
