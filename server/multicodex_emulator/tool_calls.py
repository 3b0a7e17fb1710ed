"""Which tools an answer calls: scripted per account or for any account, or by a rule.

Order of precedence for one request: the account's script, then the any-account script
(each entry is one answer and is consumed by it), then the `CALL_TOOL:<name>` rule: when
the request declares function tools, `tool_choice` is not "none" and the last input item
is a user message whose text holds `CALL_TOOL:<name>` for a declared tool, the answer
calls each such tool with `{}` (several markers: parallel calls).
"""

from __future__ import annotations

import re
import secrets
import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from multicodex_emulator.models import ToolCall

_MARKER = re.compile(r"CALL_TOOL:([A-Za-z0-9_.\-]+)")
ANY_ACCOUNT = None


@dataclass(frozen=True)
class FunctionCall:
    """A `function_call` output item, ids assigned."""

    item_id: str
    call_id: str
    name: str
    arguments: str

    def item(self, status: str) -> dict[str, Any]:
        arguments = self.arguments if status == "completed" else ""
        return {
            "id": self.item_id,
            "type": "function_call",
            "status": status,
            "arguments": arguments,
            "call_id": self.call_id,
            "name": self.name,
        }


def assign_ids(calls: Sequence[ToolCall]) -> list[FunctionCall]:
    return [
        FunctionCall(
            item_id=f"fc_{secrets.token_hex(12)}",
            call_id=call.call_id or f"call_{secrets.token_hex(12)}",
            name=call.name,
            arguments=call.arguments,
        )
        for call in calls
    ]


class ToolCallScripts:
    """Queued answers, per account and for any account; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str | None, deque[tuple[ToolCall, ...]]] = {}

    def add(self, account_id: str | None, calls: Sequence[ToolCall]) -> int:
        with self._lock:
            queue = self._queues.setdefault(account_id, deque())
            queue.append(tuple(calls))
            return len(queue)

    def clear(self, account_id: str | None) -> int:
        with self._lock:
            self._queues.pop(account_id, None)
            return 0

    def pending(self, account_id: str | None) -> int:
        with self._lock:
            return len(self._queues.get(account_id, ()))

    def take(self, account_id: str) -> tuple[ToolCall, ...] | None:
        with self._lock:
            for owner in (account_id, ANY_ACCOUNT):
                queue = self._queues.get(owner)
                if queue:
                    return queue.popleft()
            return None


def marker_calls(body: dict[str, Any]) -> tuple[ToolCall, ...]:
    """The `CALL_TOOL:<name>` rule (see the module docstring)."""
    declared = _declared_tools(body)
    if not declared or body.get("tool_choice") == "none":
        return ()
    items = body.get("input")
    last = items[-1] if isinstance(items, list) and items else None
    if not isinstance(last, dict) or last.get("role") != "user":
        return ()
    names = _MARKER.findall(_message_text(last))
    return tuple(ToolCall(name=name) for name in names if name in declared)


def _declared_tools(body: dict[str, Any]) -> set[str]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return set()
    return {
        str(tool["name"])
        for tool in tools
        if isinstance(tool, dict) and tool.get("type") == "function" and tool.get("name")
    }


def _message_text(item: dict[str, Any]) -> str:
    content = item.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    return " ".join(
        str(part.get("text", ""))
        for part in content
        if isinstance(part, dict) and part.get("type") in ("input_text", "text")
    )
