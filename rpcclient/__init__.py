"""One stdio JSON-RPC client for ``multicodex serve``, shared by the tests and the
benchmarks (neither ships with the product, so neither does this)."""

from rpcclient.client import (
    DEFAULT_TIMEOUT,
    NotificationHandler,
    Reply,
    RpcClient,
    RpcError,
    Stamp,
)
from rpcclient.framing import FrameSplitter, content_length, encode, frame
from rpcclient.server_process import CLI_SERVE, SERVE, SERVER_MODULE, server_env

__all__ = [
    "CLI_SERVE",
    "DEFAULT_TIMEOUT",
    "SERVE",
    "SERVER_MODULE",
    "FrameSplitter",
    "NotificationHandler",
    "Reply",
    "RpcClient",
    "RpcError",
    "Stamp",
    "content_length",
    "encode",
    "frame",
    "server_env",
]
