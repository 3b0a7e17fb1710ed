"""A failure to talk to a server, in the words a person needs: what happened on the wire
(refused, timed out, reset, name not found, TLS), never the exception's class name."""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Iterator

import httpx2

_BY_ERRNO = {
    errno.ECONNREFUSED: "the connection was refused (is the server running?)",
    errno.ECONNRESET: "the connection was reset",
    errno.EHOSTUNREACH: "the host is unreachable",
    errno.ENETUNREACH: "the network is unreachable",
    errno.ETIMEDOUT: "timed out",
}


def describe_transport_error(exc: BaseException) -> str:
    """What went wrong talking to the server, in a few words (no URL, no class name)."""
    if isinstance(exc, httpx2.ConnectTimeout):
        return "timed out while connecting"
    if isinstance(exc, httpx2.TimeoutException | TimeoutError):
        return "timed out waiting for an answer"
    found = _from_causes(exc)
    if found is not None:
        return found
    if isinstance(exc, httpx2.ConnectError):
        return "could not connect (nothing answered at that address)"
    if isinstance(exc, httpx2.RemoteProtocolError):
        return "the server closed the connection before answering in full"
    if isinstance(exc, httpx2.ReadError | httpx2.WriteError | httpx2.CloseError):
        return "the connection was lost"
    if isinstance(exc, httpx2.DecodingError):
        return "the answer could not be decoded"
    if isinstance(exc, httpx2.ProxyError):
        return "the proxy refused the connection"
    if isinstance(exc, httpx2.UnsupportedProtocol):
        return "the address is not an http or https URL"
    return "the connection failed"


def _from_causes(exc: BaseException) -> str | None:
    """The operating system's or TLS's reason, from the exceptions behind ``exc``."""
    for cause in _chain(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"the server's TLS certificate was not accepted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return "the TLS handshake failed"
        if isinstance(cause, socket.gaierror):
            return "the host name could not be resolved"
        if isinstance(cause, OSError) and cause.errno in _BY_ERRNO:
            return _BY_ERRNO[cause.errno]
    return None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__
