"""The HTTP surface: which path does what, after the guard has let the request in.

Paths are accepted under ``/backend-api`` (the base URL ``multicodex proxy`` prints) and
without it. Served: ``codex/responses`` (POST; a WebSocket upgrade gets 426, so the CLI
uses HTTP at once), ``codex/models``, ``wham/usage``, ``wham/accounts/check``; plugins,
analytics and everything else get the backend's 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from multicodex.proxy import errors
from multicodex.proxy.asgi import BodyTooLarge, Receive, RequestView, Scope, Send, send_json
from multicodex.proxy.decoding import BadBody, decoded, json_object
from multicodex.proxy.relay import Relay
from multicodex.proxy.security import Guard
from multicodex.proxy.translate import BadRequest, TurnStates, completion_request
from multicodex.proxy.upstream import Upstream

log = logging.getLogger(__name__)

PREFIX = "/backend-api"
OPEN_PREFIXES = ("/ps/", "/codex/analytics-events/")
"""Answered 404 without a bearer: the CLI calls some of them without one (ps/mcp)."""


@dataclass(frozen=True)
class ProxyLimits:
    max_body_bytes: int = 32 * 1024 * 1024
    """The largest request body, as sent and once decoded."""
    body_read_seconds: float = 30.0
    max_connections: int = 64


class ProxyApp:
    """The ASGI application of one proxy."""

    def __init__(
        self, guard: Guard, relay: Relay, upstream: Upstream, turns: TurnStates, limits: ProxyLimits
    ) -> None:
        self._guard = guard
        self._relay = relay
        self._upstream = upstream
        self._turns = turns
        self._limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        request = RequestView(scope, receive)
        path = request.path.removeprefix(PREFIX)
        refusal = self._guard.refusal(
            request.client_host, request.headers, needs_bearer=not path.startswith(OPEN_PREFIXES)
        )
        if refusal is not None:
            await _refuse(send, refusal.status, refusal.message)
            return
        try:
            await self._route(path, request, send)
        except Exception:  # the client gets the backend's 500, the log says where
            log.exception("the proxy failed to answer %s %s", request.method, path)
            await send_json(send, 500, errors.error_body("internal error", kind="server_error"))

    async def _route(self, path: str, request: RequestView, send: Send) -> None:
        method = request.method
        if path in ("/codex/responses", "/responses"):
            if "upgrade" in request.headers:
                await errors.upgrade_required(send)
            elif method == "POST":
                await self._responses(request, send)
            else:
                await errors.not_found(send)
        elif method != "GET":
            await errors.not_found(send)
        elif path in ("/codex/models", "/models"):
            query = request.query.decode("latin-1")
            await _answer(send, await self._upstream.models(query, _agent(request)))
        elif path == "/wham/usage":
            await _answer(send, await self._upstream.usage(_agent(request)))
        elif path == "/wham/accounts/check":
            await send_json(send, 200, _accounts_check(request.headers))
        else:
            await errors.not_found(send)

    async def _responses(self, request: RequestView, send: Send) -> None:
        limit = self._limits.max_body_bytes
        try:
            raw = await request.body(limit, self._limits.body_read_seconds)
            data = decoded(raw, request.headers.get("content-encoding", ""), limit)
            completion = completion_request(json_object(data), data, request.headers, self._turns)
        except BodyTooLarge:
            await errors.too_large(send, f"the request body is over {limit} bytes")
            return
        except TimeoutError:
            await errors.bad_request(send, "the request body did not arrive in time")
            return
        except (BadBody, BadRequest) as exc:
            await errors.bad_request(send, str(exc))
            return
        await _until_disconnect(self._relay.run(completion, send), request.receive)


async def _until_disconnect(relaying: Coroutine[Any, Any, None], receive: Receive) -> None:
    """Run the relay; a client that goes away cancels it (and the upstream request)."""
    relay = asyncio.ensure_future(relaying)
    watch = asyncio.ensure_future(_disconnected(receive))
    try:
        await asyncio.wait({relay, watch}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        watch.cancel()
        if not relay.done():
            relay.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _agent(request: RequestView) -> str | None:
    return request.headers.get("user-agent")


async def _answer(send: Send, answer: tuple[int, object]) -> None:
    await send_json(send, answer[0], answer[1])


async def _refuse(send: Send, status: int, message: str) -> None:
    if status == 401:
        await errors.unauthorized(send, message)
    else:
        await errors.forbidden(send, message)


def _accounts_check(headers: dict[str, str]) -> dict[str, object]:
    """Workspace routing for a CLI in ChatGPT mode: its own account id, no constraint, so
    model calls stay on the proxy."""
    account_id = headers.get("chatgpt-account-id") or "multicodex"
    return {
        "accounts": [
            {
                "id": account_id,
                "plan_type": "pro",
                "structure": "personal",
                "workspace_backend_origin": "NO_CONSTRAINT",
                "account_routing_override": "NO_CONSTRAINT",
            }
        ],
        "account_ordering": [account_id],
        "default_account_id": account_id,
    }
