"""The id of a message that could not be read whole, so its error answer can carry it.

A body cut short (a Content-Length counted in characters), a body too large to keep, or a
JSON message sent without a header usually still starts with ``{"jsonrpc":"2.0","id":…``:
its top-level members are read in order until ``id`` or until one cannot be read.
"""

from __future__ import annotations

import json
from typing import TypeGuard

from pygls.protocol.json_rpc import MsgId

_DECODER = json.JSONDecoder()
_BLANKS = " \t\r\n"


def request_id(head: bytes) -> MsgId | None:
    """The top-level ``id`` found at the start of ``head`` (a string or an integer), or
    None when it is not there or not usable."""
    text = head.decode("utf-8", errors="replace")
    pos = _skip_blanks(text, 0)
    if not text.startswith("{", pos):
        return None
    pos += 1
    while True:
        member = _member(text, pos)
        if member is None:
            return None
        name, value, pos = member
        pos = _skip_blanks(text, pos)
        ended = text[pos : pos + 1]  # a number cut short would look whole without this
        if not isinstance(name, str) or ended not in (",", "}"):
            return None
        if name == "id":
            return value if valid_id(value) else None
        pos += 1


def _member(text: str, pos: int) -> tuple[object, object, int] | None:
    """One ``"name": value`` pair at ``pos`` and where it ends; None if it cannot be read."""
    try:
        name, pos = _DECODER.raw_decode(text, _skip_blanks(text, pos))
        pos = _skip_blanks(text, pos)
        if not text.startswith(":", pos):
            return None
        value, pos = _DECODER.raw_decode(text, _skip_blanks(text, pos + 1))
    except (ValueError, RecursionError):  # cut short, not JSON, or nested too deep
        return None
    return name, value, pos


def _skip_blanks(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _BLANKS:
        pos += 1
    return pos


def valid_id(value: object) -> TypeGuard[MsgId]:
    """A JSON-RPC id this server answers to: a string or an integer (not a boolean)."""
    return isinstance(value, str | int) and not isinstance(value, bool)
