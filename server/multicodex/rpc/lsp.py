"""The JSON-RPC/LSP message layer: every frame the client sends is checked before pygls
sees it, and every request that carries an id gets an answer.

pygls would leave some requests unanswered (an id of the wrong type, params that do not
fit an LSP type, requests after ``shutdown``), log whole message bodies, and put
tracebacks in error responses; this protocol class closes those gaps. Only ``initialize``,
``shutdown`` and the MultiCodex methods are served; ``initialized``, ``exit`` and
``$/cancelRequest`` are the notifications that matter; everything else is dropped.
What this needs of pygls' internals goes through `multicodex.rpc.pygls_adapter`.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Generator, Sequence
from concurrent.futures import Future
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.protocol.json_rpc import JsonRPCNotification, JsonRPCRequestMessage, MsgId
from pygls.protocol.language_server import lsp_method

from multicodex.protocol_names import (
    METHOD_NAMES,
    NOTIFICATION_NAMES,
    PROTOCOL_VERSION,
    ErrorCode,
)
from multicodex.rpc.errors import (
    INVALID_REQUEST,
    PARSE_ERROR,
    SERVER_NOT_INITIALIZED,
    cancelled,
    internal_error,
)
from multicodex.rpc.framing import HEAD_BYTES, Misframed, Oversized
from multicodex.rpc.pygls_adapter import PyglsProtocol
from multicodex.rpc.salvage import request_id, valid_id

log = logging.getLogger(__name__)

SERVED_METHODS = frozenset(METHOD_NAMES)
MAX_ECHOED_METHOD = 200
NOT_JSON = "Parse error: the body is not JSON (is its Content-Length counted in bytes?)"


def capabilities_extension() -> dict[str, Any]:
    """`multicodex.protocol.ServerCapabilitiesExtension`, as sent: built from the names
    alone, so answering ``initialize`` loads none of the wire models."""
    return {
        "protocol_version": PROTOCOL_VERSION,
        "methods": list(METHOD_NAMES),
        "notifications": list(NOTIFICATION_NAMES),
    }


class MultiCodexProtocol(PyglsProtocol):
    def __init__(self, server: Any, converter: Any) -> None:
        super().__init__(server, converter)
        self.initialize_received = False
        self.initialized_received = False
        self.exit_requested = False
        self.run_method: Callable[[str, Any], Awaitable[Any]] = _no_methods
        """Runs a MultiCodex method (its result JSON-ready), set by the server. Methods do
        not go through pygls' dispatch, which cost every request a tenth of a millisecond
        before its handler started."""

    # -- incoming frames ------------------------------------------------------------------

    def handle_frame(self, frame: bytes) -> None:
        try:
            data = json.loads(frame)
        except Exception:  # not JSON, bad UTF-8, or nested too deep to parse
            log.info("a message body of %d bytes is not JSON", len(frame))
            self._reply_error(request_id(frame[:HEAD_BYTES]), PARSE_ERROR, NOT_JSON)
            return
        self.route(data)

    def reject(self, problem: Misframed | Oversized) -> None:
        """Answer what the framing could not read (with the message's id when its start
        shows one); the server reads on from the next frame."""
        msg_id = request_id(problem.head)
        if isinstance(problem, Oversized):
            size, limit = problem.length, problem.limit
            log.warning("skipped a message of %d bytes (the limit is %d)", size, limit)
            message = f"Invalid Request: a message of {size} bytes (the limit is {limit})"
            self._reply_error(msg_id, INVALID_REQUEST, message)
            return
        log.warning("skipped %s", problem.reason)
        self._reply_error(msg_id, PARSE_ERROR, f"Parse error: {problem.reason}")

    def route(self, data: Any) -> None:
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0":
            self._invalid(data)
        elif "method" not in data:
            self._client_response(data)
        elif not isinstance(data["method"], str):
            self._invalid(data)
        elif "id" in data:
            self._request(data["id"], data["method"], data)
        else:
            self._notification(data["method"], data.get("params"))

    def _invalid(self, data: Any) -> None:
        msg_id = data.get("id") if isinstance(data, dict) else None
        self._reply_error(msg_id if valid_id(msg_id) else None, INVALID_REQUEST, "Invalid Request")

    def _request(self, msg_id: Any, method: str, data: dict[str, Any]) -> None:
        if not valid_id(msg_id):
            self._reply_error(None, INVALID_REQUEST, "Invalid Request: bad id")
        elif self.shutdown_received:
            self._reply_error(msg_id, INVALID_REQUEST, "The server is shutting down")
        elif method == types.INITIALIZE:
            self._initialize(msg_id, data)
        elif not self.initialize_received:
            self._reply_error(msg_id, SERVER_NOT_INITIALIZED, "The server is not initialized")
        elif method == types.SHUTDOWN:
            self.handle_message(JsonRPCRequestMessage(msg_id, method, "2.0", data.get("params")))
        elif method in SERVED_METHODS:
            self._method(msg_id, method, data.get("params"))
        else:
            shown = method[:MAX_ECHOED_METHOD]
            self._reply_error(msg_id, int(ErrorCode.METHOD_NOT_FOUND), f"Method Not Found: {shown}")

    def _method(self, msg_id: MsgId, method: str, params: Any) -> None:
        task = asyncio.ensure_future(self.run_method(method, params))
        self.track_incoming_request(msg_id, task)
        task.add_done_callback(functools.partial(self._answer_method, msg_id=msg_id))

    def _answer_method(self, task: asyncio.Future[Any], *, msg_id: MsgId) -> None:
        if task.cancelled() or task.exception() is not None:
            self.answer_request(task, msg_id)
            return
        self.take_incoming_request(msg_id)
        self.send_message({"jsonrpc": "2.0", "id": msg_id, "result": task.result()})

    def _initialize(self, msg_id: MsgId, data: dict[str, Any]) -> None:
        if self.initialize_received:
            self._reply_error(msg_id, INVALID_REQUEST, "The server is already initialized")
            return
        try:
            message: Any = self.structure(data, types.InitializeRequest)
        except Exception:
            self._reply_error(msg_id, int(ErrorCode.INVALID_PARAMS), "invalid initialize params")
            return
        self.initialize_received = True
        self.handle_message(message)

    def _notification(self, method: str, params: Any) -> None:
        if method == types.EXIT:
            self.exit_requested = True
        elif method == types.CANCEL_REQUEST:
            self._cancel(params)
        elif (
            method == types.INITIALIZED
            and self.initialize_received
            and not self.initialized_received
        ):
            self.initialized_received = True
            self.handle_message(JsonRPCNotification(method, "2.0", params))

    def _cancel(self, params: Any) -> None:
        msg_id = params.get("id") if isinstance(params, dict) else None
        if valid_id(msg_id) and (future := self.take_incoming_request(msg_id)) is not None:
            future.cancel()

    def _client_response(self, data: dict[str, Any]) -> None:
        """An answer to one of our requests (window/showDocument); others are dropped."""
        msg_id = data.get("id")
        if not valid_id(msg_id):
            return
        future = self.take_outgoing_request(msg_id)
        if future is None or future.done():
            return
        error = data.get("error")
        if error is not None:
            message = error.get("message") if isinstance(error, dict) else None
            future.set_exception(JsonRpcException(message=str(message or "client error")))
        else:
            future.set_result(data.get("result"))

    # -- outgoing ---------------------------------------------------------------------------

    def notify_json(self, method: str, params_json: bytes) -> None:
        """Send a notification whose params are already JSON (UTF-8): the hot path of
        completion deltas, without pygls' per-message object and encoder passes."""
        self.notify_json_many(method, (params_json,))

    def notify_json_many(self, method: str, params_jsons: Sequence[bytes]) -> None:
        """`notify_json` for several notifications in one write, in order."""
        if self.writer is None:
            return
        start = b'{"jsonrpc":"2.0","method":"%s","params":' % method.encode()
        extra = len(start) + 1
        self.writer.write(
            b"".join(
                b"Content-Length: %d\r\n\r\n%s%s}" % (len(params) + extra, start, params)
                for params in params_jsons
            )
        )

    def _reply_error(self, msg_id: MsgId | None, code: int, message: str) -> None:
        error = {"code": code, "message": message}
        self.send_message({"jsonrpc": "2.0", "id": msg_id, "error": error})

    def answer_request(self, future: Future[Any] | asyncio.Future[Any], msg_id: MsgId) -> None:
        """Answer a finished request: its result, its JSON-RPC error, or an internal error
        without any traceback."""
        self.take_incoming_request(msg_id)
        if future.cancelled():
            self.send_error(msg_id, cancelled().to_response_error())
            return
        exc = future.exception()
        if exc is None:
            self.send_result(msg_id, future.result())
            return
        if not isinstance(exc, JsonRpcException):
            exc = internal_error(exc, f"request {msg_id!r}")
        self.send_error(msg_id, exc.to_response_error())

    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        result.capabilities.text_document_sync = types.TextDocumentSyncKind.None_
        result.capabilities.experimental = {"multicodex": capabilities_extension()}
        return result


async def _no_methods(method: str, _params: Any) -> Any:
    raise RuntimeError(f"no server runs {method}")
