"""JSON-RPC error objects as the server sends them: domain errors with their code and
data, and unexpected failures as INTERNAL_ERROR with an id (the details go to the log)."""

from __future__ import annotations

import logging
import secrets
from typing import TYPE_CHECKING

from pygls.exceptions import JsonRpcException

from multicodex.protocol_names import ErrorCode

if TYPE_CHECKING:
    from multicodex.app import AppError

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
SERVER_NOT_INITIALIZED = -32002
REQUEST_CANCELLED_MESSAGE = "Request Cancelled"


def rpc_error(exc: AppError) -> JsonRpcException:
    return JsonRpcException(message=exc.message, code=int(exc.code), data=exc.data_json())


def internal_error(exc: BaseException, where: str) -> JsonRpcException:
    """INTERNAL_ERROR for ``exc``: the client gets an id and the exception's class name;
    the traceback goes to stderr (scrubbed), never to the client."""
    error_id = f"e-{secrets.token_hex(3)}"
    log.warning("internal error %s in %s", error_id, where, exc_info=exc)
    from multicodex.protocol import InternalErrorData  # the wire models: not before initialize

    data = InternalErrorData(error_id=error_id, exception_type=type(exc).__name__)
    return JsonRpcException(
        message=f"internal error (see the server log, id {error_id})",
        code=int(ErrorCode.INTERNAL_ERROR),
        data=data.model_dump(mode="json"),
    )


def cancelled() -> JsonRpcException:
    return JsonRpcException(
        message=REQUEST_CANCELLED_MESSAGE, code=int(ErrorCode.REQUEST_CANCELLED)
    )
