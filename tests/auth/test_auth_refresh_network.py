"""Refresh over real sockets that misbehave: what may have rotated the token is ambiguous."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx2
import pytest

from multicodex.auth.refresh import RefreshError, refresh_tokens
from multicodex.config import Endpoints

Behaviour = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
SECRET = "rt_do_not_leak_123"


@asynccontextmanager
async def raw_server(behaviour: Behaviour) -> AsyncIterator[Endpoints]:
    """A TCP server on 127.0.0.1 that reads one request head and then does ``behaviour``."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            await behaviour(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield Endpoints(auth_url=f"http://127.0.0.1:{port}")
    finally:
        server.close()
        await server.wait_closed()


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient() as client:
        yield client


async def _drop(_reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
    return None


async def _stall(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
    await reader.read()  # until the client gives up and closes


async def _garbage_200(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    body = b"<html>oops</html>"
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()


def _assert_no_secret(error: RefreshError) -> None:
    assert SECRET not in str(error)
    assert SECRET not in repr(error)
    assert error.__cause__ is None


async def test_unreachable_endpoint_is_transient_and_unambiguous(
    http: httpx2.AsyncClient, free_loopback_ports: Callable[[int], list[int]]
) -> None:
    (port,) = free_loopback_ports(1)
    with pytest.raises(RefreshError) as info:
        await refresh_tokens(http, Endpoints(auth_url=f"http://127.0.0.1:{port}"), SECRET)
    assert not info.value.permanent
    assert not info.value.ambiguous
    _assert_no_secret(info.value)


async def test_connection_dropped_after_sending_is_ambiguous(http: httpx2.AsyncClient) -> None:
    async with raw_server(_drop) as endpoints:
        with pytest.raises(RefreshError) as info:
            await refresh_tokens(http, endpoints, SECRET)
    assert not info.value.permanent
    assert info.value.ambiguous
    assert "may have been rotated" in str(info.value)
    _assert_no_secret(info.value)


async def test_no_answer_within_the_timeout_is_ambiguous(http: httpx2.AsyncClient) -> None:
    async with raw_server(_stall) as endpoints:
        with pytest.raises(RefreshError) as info:
            await refresh_tokens(http, endpoints, SECRET, timeout=0.5)
    assert not info.value.permanent
    assert info.value.ambiguous
    _assert_no_secret(info.value)


async def test_unreadable_success_is_ambiguous(http: httpx2.AsyncClient) -> None:
    async with raw_server(_garbage_200) as endpoints:
        with pytest.raises(RefreshError) as info:
            await refresh_tokens(http, endpoints, SECRET)
    assert info.value.ambiguous
    assert info.value.status == 200
    _assert_no_secret(info.value)
