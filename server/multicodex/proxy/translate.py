"""A Codex client's ``POST …/responses`` as a pass-through request for the rotation engine:
the body as it came, the headers worth forwarding, and the key that keeps the conversation
(and its turn state) on one account."""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from multicodex.rotation.models import CompletionRequest, PassThrough

FORWARDED_HEADERS = (
    "version",
    "originator",
    "user-agent",
    "session-id",
    "session_id",
    "thread-id",
    "conversation_id",
    "x-client-request-id",
    "x-codex-window-id",
    "x-codex-turn-metadata",
    "x-codex-beta-features",
    "x-codex-routing-hint",
    "x-openai-subagent",
    "x-openai-internal-codex-responses-lite",
)
"""What the CLI sends that the backend reads; never its bearer, account or encodings."""
TURN_STATE = "x-codex-turn-state"
MAX_TURN_STATES = 4096


class BadRequest(ValueError):
    """The body is JSON but not a responses request."""


class TurnStates:
    """Which account issued each turn state (bounded: the oldest are forgotten first)."""

    def __init__(self, limit: int = MAX_TURN_STATES) -> None:
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._limit = limit

    def owner(self, state: str | None) -> str | None:
        return self._owners.get(state) if state else None

    def remember(self, state: str | None, account_key: str) -> None:
        if not state:
            return
        self._owners[state] = account_key
        self._owners.move_to_end(state)
        while len(self._owners) > self._limit:
            self._owners.popitem(last=False)


def conversation_key(body: dict[str, Any], headers: dict[str, str]) -> str | None:
    """The CLI's ``prompt_cache_key`` (its thread id), else its thread or session header."""
    key = body.get("prompt_cache_key")
    if isinstance(key, str) and key:
        return key
    return headers.get("thread-id") or headers.get("session-id") or headers.get("session_id")


def completion_request(
    body: dict[str, Any], raw: bytes, headers: dict[str, str], turns: TurnStates
) -> CompletionRequest:
    """``body``, parsed from ``raw`` (the client's bytes, decoded), as a request that relays
    those bytes while it stays on its conversation's account."""
    model, items = body.get("model"), body.get("input")
    if not isinstance(model, str) or not model:
        raise BadRequest("'model' must be a non-empty string")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise BadRequest("'input' must be a list of objects")
    turn_state = headers.get(TURN_STATE) or None
    passthrough = PassThrough.model_construct(
        body=body,
        raw=raw if json.detect_encoding(raw) == "utf-8" else None,  # no BOM, no UTF-16
        headers={name: headers[name] for name in FORWARDED_HEADERS if name in headers},
        turn_state=turn_state,
        turn_state_account=turns.owner(turn_state),
    )
    # Built without validation: the body is relayed as it came and checked upstream.
    return CompletionRequest.model_construct(
        model=model,
        input=items,
        conversation_id=conversation_key(body, headers),
        passthrough=passthrough,
    )
