"""Helpers shared by the emulator tests (requests as real clients send them, SSE parsing)."""

from __future__ import annotations

import json
from typing import Any

from multicodex.config import CLIENT_ID

TOKEN_PATH = "/oauth/token"
RESPONSES_PATH = "/backend-api/codex/responses"
USAGE_PATH = "/backend-api/wham/usage"


def bearer(tokens: dict[str, Any], account_id: str | None = None) -> dict[str, str]:
    headers = {"authorization": f"Bearer {tokens['access_token']}"}
    if account_id is not None:
        headers["chatgpt-account-id"] = account_id
    return headers


def responses_body(**overrides: Any) -> dict[str, Any]:
    """What the real Codex CLI sends, minus bulk: no `instructions`, input as a list."""
    body: dict[str, Any] = {
        "model": "gpt-5.5",
        "stream": True,
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "reasoning": None,
        "store": False,
        "include": [],
        "prompt_cache_key": "thread-1",
    }
    body.update(overrides)
    return body


def refresh_form(refresh_token: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": CLIENT_ID,
        **extra,
    }


def parse_sse(text: str) -> list[tuple[str, dict[str, Any]]]:
    """(event line, data JSON) per frame; asserts both halves of each frame are present."""
    events: list[tuple[str, dict[str, Any]]] = []
    for frame in text.split("\n\n"):
        if not frame.strip():
            continue
        lines = dict(line.split(": ", 1) for line in frame.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def streamed_text(events: list[tuple[str, dict[str, Any]]]) -> str:
    return "".join(d["delta"] for name, d in events if name == "response.output_text.delta")
