"""The JSON-RPC side of `multicodex serve`: framing, message checks, errors, logging."""
