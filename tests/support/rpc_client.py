"""The tests' names for the one stdio JSON-RPC client (``rpcclient``, shared with bench/)."""

from rpcclient import CLI_SERVE, SERVER_MODULE, RpcClient, RpcError, encode, frame

__all__ = ["CLI_SERVE", "SERVER_MODULE", "RpcClient", "RpcError", "encode", "frame"]
