"""`multicodex proxy`'s answers on the wire, read from a raw socket by a client in another
process: an answer's head leaves with the start of its body (one wake-up of the client,
not two), and a client that asks for ``100 Continue`` still gets it before its body."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from proxy_rig import cli_body, json_bytes
from test_proxy_command import RUN_TIMEOUT, proxy_command

from multicodex.store.document import Store
from multicodex_emulator import Emulator
from support.accounts import stored_account

READ_SECONDS = 10.0
END_OF_CHUNKED_BODY = b"\r\n0\r\n\r\n"


@dataclass
class RunningProxy:
    host: str
    port: int
    base_path: str
    secret: str

    def connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=READ_SECONDS)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def head(self, path: str, length: int, *extra: str) -> bytes:
        lines = [
            f"POST {self.base_path}{path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Authorization: Bearer {self.secret}",
            "Content-Type: application/json",
            "Accept: text/event-stream",
            f"Content-Length: {length}",
            *extra,
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[RunningProxy]:
    emu = Emulator(tokens_per_second=20000.0)
    home = tmp_path / "home"
    with emu.serve_in_thread() as base_url:
        created = emu.add_account(email="alice@example.com", response_deltas=3)
        with Store.open(home).transaction() as doc:
            doc.accounts.append(stored_account(emu.issue_tokens(created.account_id)))
        process = subprocess.Popen(
            proxy_command(home, base_url, "--port", "0"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "NO_COLOR": "1"},
        )
        try:
            assert process.stdout is not None
            url = urlsplit(process.stdout.readline().decode().strip())
            assert url.hostname is not None and url.port is not None
            secret = (home / "proxy-secret").read_text().strip()
            yield RunningProxy(url.hostname, url.port, url.path, secret)
        finally:
            process.terminate()
            try:
                process.wait(RUN_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(RUN_TIMEOUT)


def _read_until(sock: socket.socket, marker: bytes, seen: bytes = b"") -> bytes:
    while marker not in seen:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before {marker!r}: {seen!r}"
        seen += chunk
    return seen


def test_a_streamed_answer_starts_with_its_head_and_first_events_together(
    proxy: RunningProxy,
) -> None:
    body = json_bytes(cli_body("hi", "thread-wire"))
    with proxy.connect() as sock:
        sock.sendall(proxy.head("/codex/responses", len(body)) + body)
        first = sock.recv(65536)
        head, _, rest = first.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 ")
        assert b"text/event-stream" in head
        assert b"event: response.created" in rest, "the head came alone"
        assert b"event: response.output_item.added" in rest
        answer = _read_until(sock, END_OF_CHUNKED_BODY, first)
        assert b"event: response.completed" in answer


def test_a_client_waiting_for_100_continue_gets_it_before_sending_its_body(
    proxy: RunningProxy,
) -> None:
    body = json_bytes(cli_body("hi", "thread-continue"))
    with proxy.connect() as sock:
        sock.sendall(proxy.head("/codex/responses", len(body), "Expect: 100-continue"))
        interim = _read_until(sock, b"\r\n\r\n")
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = _read_until(sock, END_OF_CHUNKED_BODY)
        assert answer.startswith(b"HTTP/1.1 200 ")
        assert b"event: response.completed" in answer


def test_json_answers_come_whole_on_a_kept_alive_connection(proxy: RunningProxy) -> None:
    with proxy.connect() as sock:
        for _ in range(2):
            sock.sendall(proxy.head("/plugins/list", 0))
            answer = _read_until(sock, b'{"detail":"Not Found"}')
            assert answer.startswith(b"HTTP/1.1 404 ")
