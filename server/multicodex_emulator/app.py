"""The ASGI application: OpenAI routes + control API, wrapped by the request recorder."""

from __future__ import annotations

import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from multicodex_emulator.backend import backend_routes
from multicodex_emulator.compression import CompressionMiddleware
from multicodex_emulator.context import AppContext
from multicodex_emulator.control import PREFIX as CONTROL_PREFIX
from multicodex_emulator.control import control_routes
from multicodex_emulator.oauth import oauth_routes
from multicodex_emulator.recorder import RequestLog
from multicodex_emulator.scope import RECORD_KEY, TRANSPORT_KEY


def build_app(context: AppContext) -> ASGIApp:
    app = Starlette(
        routes=[*oauth_routes(), *backend_routes(), *control_routes()],
        exception_handlers={HTTPException: _http_error},
    )
    app.state.emu = context
    compressing = CompressionMiddleware(
        app, lambda: context.state.settings.compress_responses, CONTROL_PREFIX
    )
    return RecordingMiddleware(compressing, context.state.log)


async def _http_error(request: Request, exc: Exception) -> Response:
    """404/405 as JSON `{"detail": ...}` like the backend (Codex tolerates 404s)."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)


class RecordingMiddleware:
    """Logs every non-control request and exposes the connection's transport to handlers."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self._app = app
        self._log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        request_state: dict[str, Any] = scope.setdefault("state", {})
        transport = getattr(getattr(receive, "__self__", None), "transport", None)
        if transport is not None:
            request_state[TRANSPORT_KEY] = transport
        if scope["path"].startswith(CONTROL_PREFIX):
            await self._app(scope, receive, send)
            return
        record = self._log.start(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode("latin-1"),
            list(scope.get("headers", [])),
        )
        request_state[RECORD_KEY] = record

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record.status = int(message["status"])
            await send(message)

        try:
            await self._app(scope, receive, recording_send)
        finally:
            record.finished_at = time.time()
