"""Connections that are opened and then say nothing, as a slowloris client would."""

from __future__ import annotations

import asyncio

LOOPBACK = "127.0.0.1"
POLL_SECONDS = 0.05
WAIT_ROUNDS = 600  # 30 s at most


class IdleClients:
    """Many silent connections to one loopback port, and how many the server closed."""

    def __init__(self) -> None:
        self._streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def open(self, port: int, count: int) -> None:
        for _ in range(count):
            self._streams.append(await asyncio.open_connection(LOOPBACK, port))

    def closed_by_server(self) -> int:
        return sum(reader.at_eof() for reader, _writer in self._streams)

    async def wait_closed_by_server(self, at_least: int) -> int:
        """How many the server closed, once at least ``at_least`` are (bounded wait)."""
        for _ in range(WAIT_ROUNDS):
            if self.closed_by_server() >= at_least:
                break
            await asyncio.sleep(POLL_SECONDS)
        return self.closed_by_server()

    def close(self) -> None:
        for _reader, writer in self._streams:
            writer.close()
        self._streams.clear()
