"""The upstream client sends a request's head and body together and still speaks HTTP/1.1
correctly: small and large bodies arrive whole, and the connection is kept alive."""

from __future__ import annotations

import asyncio

import pytest

from multicodex.codex.coalescing import HOLD_BYTES, upstream_client


class _Recorder:
    """A loopback HTTP/1.1 server that answers each request with the size of its body."""

    def __init__(self) -> None:
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        while True:
            head = await reader.readuntil(b"\r\n\r\n") if not reader.at_eof() else b""
            if not head:
                break
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            body = await reader.readexactly(length)
            answer = str(len(body)).encode()
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(answer), answer))
            await writer.drain()
        writer.close()


@pytest.mark.asyncio
async def test_bodies_small_and_over_the_hold_size_arrive_whole_on_one_connection() -> None:
    recorder = _Recorder()
    server = await asyncio.start_server(recorder.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}/echo"
    client = upstream_client(10.0)
    try:
        small = await client.post(url, content=b'{"a":1}')
        large = await client.post(url, content=b"x" * (HOLD_BYTES * 3 + 17))
        empty = await client.get(url)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    assert [small.text, large.text, empty.text] == ["7", str(HOLD_BYTES * 3 + 17), "0"]
    assert recorder.connections == 1
