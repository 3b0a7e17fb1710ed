"""The request body the backend expects, and what must not follow a conversation across
accounts (encrypted reasoning and response ids are bound to the account that made them)."""

from __future__ import annotations

from typing import Any

from multicodex.rotation.models import CompletionRequest, PassThrough


def build_body(request: CompletionRequest, *, cache_key: str, moved: bool) -> dict[str, Any]:
    items = strip_account_bound(request.input) if moved else list(request.input)
    tools = list(request.tools or [])
    body: dict[str, Any] = {
        "model": request.model,
        "input": items,
        "tools": tools,
        "tool_choice": request.tool_choice or "auto",
        "parallel_tool_calls": bool(tools),
        "store": False,
        "stream": True,
        "prompt_cache_key": cache_key,
    }
    if request.instructions is not None:
        body["instructions"] = request.instructions
    if request.reasoning is not None:
        body["reasoning"] = request.reasoning
        body["include"] = ["reasoning.encrypted_content"]
    return body


def passthrough_body(passthrough: PassThrough, *, moved: bool) -> dict[str, Any]:
    """The client's body as it came; on a move, without what binds it to another account."""
    if not moved:
        return passthrough.body
    body = dict(passthrough.body)
    body.pop("previous_response_id", None)
    items = body.get("input")
    if isinstance(items, list):
        body["input"] = strip_account_bound(items)
    return body


def passthrough_bytes(passthrough: PassThrough, *, moved: bool) -> bytes | None:
    """The client's own bytes for the body when it goes as it came (None: encode it)."""
    return None if moved else passthrough.raw


def passthrough_headers(passthrough: PassThrough, account_key: str) -> dict[str, str]:
    """The client's headers, with its turn state only for the account that issued it."""
    headers = dict(passthrough.headers)
    if passthrough.turn_state and passthrough.turn_state_account == account_key:
        headers["x-codex-turn-state"] = passthrough.turn_state
    return headers


def strip_account_bound(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Drop reasoning items (their encrypted content only decrypts on the account that
    produced it) and any response-id references. Function calls and their outputs stay:
    they are plain conversation, readable by any account."""
    kept = []
    for item in items:
        if item.get("type") == "reasoning":
            continue
        kept.append({k: v for k, v in item.items() if k != "previous_response_id"})
    return kept


def has_account_bound_items(items: list[dict[str, Any]]) -> bool:
    return any(item.get("type") == "reasoning" or "previous_response_id" in item for item in items)
