"""Error answers in the backend's own shapes, so the Codex CLI words them as it would the
backend's (``{"detail": …}`` for routing answers, ``{"error": {…}}`` for the rest)."""

from __future__ import annotations

from typing import Any

from multicodex.proxy.asgi import Send, send_json


def error_body(message: str, *, kind: str, code: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "code": code, "param": None}}


async def not_found(send: Send) -> None:
    await send_json(send, 404, {"detail": "Not Found"})


async def unauthorized(send: Send, message: str) -> None:
    await send_json(
        send, 401, error_body(message, kind="invalid_request_error", code="invalid_api_key")
    )


async def forbidden(send: Send, message: str) -> None:
    await send_json(send, 403, error_body(message, kind="invalid_request_error", code="forbidden"))


async def bad_request(send: Send, message: str) -> None:
    await send_json(send, 400, error_body(message, kind="invalid_request_error"))


async def too_large(send: Send, message: str) -> None:
    await send_json(send, 413, error_body(message, kind="invalid_request_error"))


async def upgrade_required(send: Send) -> None:
    """The WebSocket transport is not served: the Codex CLI falls back to HTTP at once."""
    await send_json(send, 426, {"detail": "Upgrade Required"})
