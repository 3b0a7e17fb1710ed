"""One ``POST …/responses`` through the rotation engine, written back as the backend's own
event stream: nothing goes out until an account is serving (so failover before output is
invisible), then its bytes go out as they arrive, behind its ``x-codex-*`` headers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from multicodex.model import FailureKind
from multicodex.proxy.asgi import Send, encode_headers, send_json
from multicodex.proxy.errors import error_body
from multicodex.proxy.limits import exhausted_answer, relayed_headers
from multicodex.proxy.translate import TURN_STATE, TurnStates
from multicodex.rotation.engine import RotationEngine
from multicodex.rotation.models import (
    CompletionRequest,
    ModelUnavailable,
    PoolExhausted,
    RawChunk,
    UpstreamFailure,
)

log = logging.getLogger(__name__)

SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
_FAILURE_TYPES = {
    FailureKind.BAD_REQUEST: "invalid_request_error",
    FailureKind.TRANSIENT: "server_error",
}


class Relay:
    """Shared by every request of one proxy: the engine and the turn states it saw."""

    def __init__(
        self,
        engine: RotationEngine,
        turns: TurnStates,
        on_served: Callable[[str], None] | None = None,
    ) -> None:
        self._engine = engine
        self._turns = turns
        self._on_served = on_served
        """Told the serving account's key when a turn's answer starts."""

    async def run(self, request: CompletionRequest, send: Send) -> None:
        self._keep_turn_on_its_account(request)
        events = self._engine.stream(request)
        started = False
        try:
            async for event in events:
                if type(event) is not RawChunk:
                    continue
                if not started:
                    await self._start(event, send)
                    started = True
                await send({"type": "http.response.body", "body": event.data, "more_body": True})
        except PoolExhausted as exc:
            await self._exhausted(exc, send)
        except ModelUnavailable as exc:
            await send_json(send, 400, {"detail": str(exc)})
        except UpstreamFailure as exc:
            if not started:
                await self._failed(exc, send)
            else:
                log.info("the answer broke off after output: %s", exc)
        finally:
            await events.aclose()
        if started:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _keep_turn_on_its_account(self, request: CompletionRequest) -> None:
        """A turn state names the account that issued it: the conversation stays there."""
        passthrough = request.passthrough
        key = request.conversation_id
        owner = passthrough.turn_state_account if passthrough is not None else None
        if key and owner and key not in self._engine.owners:
            self._engine.owners[key] = owner

    async def _start(self, first: RawChunk, send: Send) -> None:
        upstream = first.headers or {}
        self._turns.remember(upstream.get(TURN_STATE), first.account_key)
        headers = SSE_HEADERS + encode_headers(relayed_headers(upstream))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        if self._on_served is not None:
            self._on_served(first.account_key)

    async def _exhausted(self, exc: PoolExhausted, send: Send) -> None:
        pool = self._engine.pool
        body, headers = exhausted_answer(exc, pool.accounts(), pool.clock())
        log.info("every account is resting: answered usage_limit_reached")
        await send_json(send, 429, body, headers)

    async def _failed(self, exc: UpstreamFailure, send: Send) -> None:
        failure = exc.failure
        status = failure.status if failure.status and failure.status >= 400 else 502
        body: dict[str, Any]
        if status == 400:
            body = {"detail": str(exc)}
        else:
            kind = _FAILURE_TYPES.get(failure.kind, failure.kind.value)
            body = error_body(str(exc), kind=kind, code=failure.code)
        log.info("no account served the request: %s", exc)
        await send_json(send, status, body)
