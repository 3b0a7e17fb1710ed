"""Fixtures for the auth tests: unsigned JWTs and loopback ports (free or occupied).

Helpers are handed out as fixtures so test modules never import each other.
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_jwt(payload: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}.sig"


def access_token_for(
    account_id: str | None = "acct-1",
    *,
    email: str | None = "a@example.test",
    plan: str = "plus",
    exp: int = 2_000_000_000,
) -> str:
    auth: dict[str, Any] = {"chatgpt_plan_type": plan, "chatgpt_user_id": "user-1"}
    if account_id:
        auth["chatgpt_account_id"] = account_id
    payload: dict[str, Any] = {"exp": exp, "iat": exp - 864000, AUTH_CLAIM: auth}
    if email:
        payload[PROFILE_CLAIM] = {"email": email}
    return make_jwt(payload)


def free_ports(count: int) -> list[int]:
    """Ports that were free a moment ago (the OS hands out distinct ephemeral ports)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextmanager
def occupied(port: int) -> Iterator[socket.socket]:
    """Hold ``port`` on 127.0.0.1 with a listening socket, as another program would."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", port))
        sock.listen(1)
        yield sock
    finally:
        sock.close()


def port_is_closed(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        return sock.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def unsigned_jwt() -> Callable[[dict[str, Any]], str]:
    return make_jwt


@pytest.fixture
def make_access_token() -> Callable[..., str]:
    return access_token_for


@pytest.fixture
def free_loopback_ports() -> Callable[[int], list[int]]:
    return free_ports


@pytest.fixture
def occupy_port() -> Callable[[int], Any]:
    return occupied


@pytest.fixture
def port_closed() -> Callable[[int], bool]:
    return port_is_closed
