"""The one place that touches pygls' private members.

MultiCodex checks every frame before pygls sees it and answers what pygls would leave
unanswered; for that it needs a few things pygls keeps to itself (whether ``shutdown``
was received, the requests in flight, sending a raw message). They are reached here under
names that say what they are, so a pygls upgrade that renames them breaks this file only.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import Any

from lsprotocol.types import ResponseError
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.json_rpc import MsgId


class PyglsProtocol(LanguageServerProtocol):
    """pygls' LanguageServerProtocol with its private members behind named methods."""

    @property
    def shutdown_received(self) -> bool:
        """``shutdown`` was answered: later requests are refused."""
        return bool(self._shutdown)

    def structure(self, data: Any, message_type: type[Any]) -> Any:
        """``data`` as pygls' ``message_type`` (raises when it does not fit)."""
        return self._converter.structure(data, message_type)

    def track_incoming_request(self, msg_id: MsgId, future: asyncio.Future[Any]) -> None:
        """Keep the future of the client's request ``msg_id`` (so that a cancellation
        reaches it), as pygls does for the requests it dispatches."""
        self._request_futures[msg_id] = future  # type: ignore[assignment]

    def take_incoming_request(self, msg_id: MsgId) -> Future[Any] | None:
        """The future of the client's request ``msg_id`` still running, forgotten."""
        return self._request_futures.pop(msg_id, None)

    def take_outgoing_request(self, msg_id: MsgId) -> Future[Any] | None:
        """The future waiting for the answer to our request ``msg_id``, forgotten with
        the result type pygls expected for it."""
        self._result_types.pop(msg_id, None)
        return self._request_futures.pop(msg_id, None)

    def send_message(self, message: dict[str, Any]) -> None:
        """Send one JSON-ready message as it is."""
        self._send_data(message)

    def send_result(self, msg_id: MsgId, result: Any) -> None:
        self._send_response(msg_id, result=result)

    def send_error(self, msg_id: MsgId, error: ResponseError) -> None:
        self._send_response(msg_id, error=error)

    def answer_request(self, future: Future[Any], msg_id: MsgId) -> None:
        """Answer the client's request ``msg_id`` once its handler's ``future`` is done
        (pygls' behaviour unless a subclass says otherwise)."""
        super()._send_handler_result(future, msg_id=msg_id)

    def _send_handler_result(self, future: Future[Any], *, msg_id: MsgId) -> None:
        self.answer_request(future, msg_id)
