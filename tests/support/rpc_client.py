"""The tests' names for the one stdio JSON-RPC client (``rpcclient``, shared with bench/)."""

from rpcclient import (
    CLI_SERVE,
    SERVER_MODULE,
    RpcClient,
    RpcError,
    content_length,
    encode,
    frame,
    server_env,
)

__all__ = [
    "CLI_SERVE",
    "SERVER_MODULE",
    "RpcClient",
    "RpcError",
    "content_length",
    "encode",
    "frame",
    "server_env",
]
