"""The upstream client's connections on asyncio's own transports: a streamed answer over
TLS (as the real backend serves it) and over plain TCP, kept-alive connections reused,
one the server closed replaced, and a server that never answers or breaks off mid-answer
seen as httpx2's own errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

import httpx2
import pytest

from multicodex.codex.coalescing import upstream_client
from multicodex_emulator import Emulator

RESPONSES = "/backend-api/codex/responses"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _stream_turn(http: httpx2.AsyncClient, base_url: str, token: str) -> bytes:
    body = {
        "model": "gpt-5.5",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ],
        "stream": True,
        "store": False,
    }
    headers = {
        "Authorization": f"Bearer {token}",
        "Accept": "text/event-stream",
        "Content-Type": "application/json",
    }
    async with http.stream(
        "POST", f"{base_url}{RESPONSES}", content=json.dumps(body), headers=headers
    ) as response:
        assert response.status_code == 200
        return await response.aread()


@pytest.mark.parametrize("tls", [True, False], ids=["tls", "tcp"])
async def test_streamed_answers_arrive_whole_on_one_kept_alive_connection(
    tls: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu = Emulator(tokens_per_second=0)
    async with emu.serve(tls=tls) as base_url:
        if tls:
            monkeypatch.setenv("SSL_CERT_FILE", str(emu.ca_pem_path))
        account = emu.add_account(email="alice@example.com", response_deltas=2000)
        token = emu.issue_tokens(account.account_id)["access_token"]
        http = upstream_client(30.0)
        try:
            answers = [await _stream_turn(http, base_url, token) for _ in range(2)]
            connections = http._transport.transport._pool.connections  # type: ignore[attr-defined]
        finally:
            await http.aclose()
    for answer in answers:
        assert answer.count(b"event: response.output_text.delta") == 2000
        assert answer.rstrip().endswith(b"}")
        assert b"event: response.completed" in answer
    assert len(connections) == 1


async def _serve(handler: Handler) -> tuple[asyncio.Server, str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    return server, f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    return await reader.readuntil(b"\r\n\r\n")


async def test_a_connection_the_server_closed_is_replaced_by_a_new_one() -> None:
    connections = 0

    async def answer_once_then_close(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal connections
        connections += 1
        await _read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        writer.close()

    server, url = await _serve(answer_once_then_close)
    http = upstream_client(10.0)
    try:
        first = await http.get(url)
        await asyncio.sleep(0.05)  # the server's close reaches the idle connection
        second = await http.get(url)
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()
    assert [first.text, second.text] == ["ok", "ok"]
    assert connections == 2


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_head(reader)
        await reader.read()  # until the client goes away
        writer.close()

    server, url = await _serve(silent)
    http = upstream_client(10.0)
    try:
        with pytest.raises(httpx2.ReadTimeout):
            await http.get(url, timeout=httpx2.Timeout(10.0, read=0.2))
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()


async def test_an_answer_broken_off_mid_body_is_an_error_not_a_short_body() -> None:
    async def breaks_off(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this")
        await writer.drain()
        writer.close()

    server, url = await _serve(breaks_off)
    http = upstream_client(10.0)
    try:
        with pytest.raises(httpx2.TransportError):
            await http.get(url)
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()


async def test_a_refused_connection_is_a_connect_error() -> None:
    server, url = await _serve(lambda reader, writer: asyncio.sleep(0))
    server.close()
    await server.wait_closed()
    http = upstream_client(10.0)
    try:
        with pytest.raises(httpx2.ConnectError):
            await http.get(url)
    finally:
        await http.aclose()


async def test_a_large_answer_read_slowly_arrives_whole() -> None:
    size = 3 * 1024 * 1024
    payload = bytes(range(256)) * (size // 256)

    async def sends_at_once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_head(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % size + payload)
        await writer.drain()
        await reader.read()
        writer.close()

    server, url = await _serve(sends_at_once)
    http = upstream_client(10.0)
    received = bytearray()
    try:
        async with http.stream("GET", url) as response:
            async for chunk in response.aiter_raw():
                if not received:
                    await asyncio.sleep(0.2)  # the server's bytes pile up unread meanwhile
                received += chunk
    finally:
        await http.aclose()
        server.close()
        await server.wait_closed()
    assert bytes(received) == payload
