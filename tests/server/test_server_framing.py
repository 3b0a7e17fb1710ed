"""The real `multicodex serve` never goes deaf: after every kind of mis-framed message the
bad one is answered (with its id when its start shows one) and later requests are served;
a client that stops reading the output makes the server exit, never hold the store lock."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from multicodex.rpc.framing import MAX_BODY_BYTES
from multicodex.rpc.output import MAX_PENDING_ENV, STALL_ENV
from multicodex.server import EXIT_CLIENT_NOT_READING
from multicodex.store.document import Store
from support.frozen_client import FrozenClient
from support.rpc_client import RpcClient, encode, frame
from support.server_rig import server_env

ANSWER_WITHIN = 30.0
EXIT_WITHIN = 60.0
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
BAD_ID = "bad"
AFTER_ID = "after"


def bad_request() -> bytes:
    """A request whose body is not ASCII, as an editor sends a prompt."""
    message = {
        "jsonrpc": "2.0",
        "id": BAD_ID,
        "method": "multicodex/status/get",
        "params": {"note": "héllo wörld ✓"},
    }
    return json.dumps(message, ensure_ascii=False).encode()


def with_length(body: bytes, length: int | str) -> bytes:
    return b"Content-Length: %s\r\n\r\n" % str(length).encode() + body


def request_frame(msg_id: str, method: str = "multicodex/paths") -> bytes:
    return encode({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": {}})


def oversized() -> bytes:
    head = b'{"jsonrpc":"2.0","id":"%s","method":"multicodex/paths","params":{"pad":"' % b"bad"
    return frame(head + b"x" * (MAX_BODY_BYTES + 1) + b'"}}')


MISTAKES: dict[str, tuple[Callable[[], bytes], int, str | None]] = {
    # name: (the bytes sent, the error code that answers them, the id it carries)
    "no content-length": (
        lambda: b"Content-Type: application/vscode-jsonrpc\r\n\r\n" + bad_request(),
        PARSE_ERROR,
        BAD_ID,
    ),
    "negative": (lambda: with_length(bad_request(), -12), PARSE_ERROR, BAD_ID),
    "non-numeric": (lambda: with_length(bad_request(), "twelve"), PARSE_ERROR, BAD_ID),
    "too small": (
        lambda: with_length(bad_request(), len(bad_request()) - 20),
        PARSE_ERROR,
        BAD_ID,
    ),
    "too large, with frames after it": (
        lambda: with_length(bad_request(), len(bad_request()) + 40) + request_frame("between"),
        PARSE_ERROR,
        BAD_ID,
    ),
    "too large, and nothing after it": (
        lambda: with_length(bad_request(), len(bad_request()) + 40),
        PARSE_ERROR,
        BAD_ID,
    ),
    "counted in characters": (
        lambda: with_length(bad_request(), len(bad_request().decode())),
        PARSE_ERROR,
        BAD_ID,
    ),
    "junk line": (lambda: b"this is not a header\r\n", PARSE_ERROR, None),
    "json without a header": (lambda: bad_request(), PARSE_ERROR, BAD_ID),
    "oversized": (oversized, INVALID_REQUEST, BAD_ID),
}


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[RpcClient]:
    served = await RpcClient.start(server_env(tmp_path), tmp_path / "server-stderr.log")
    await served.initialize({"home": str(tmp_path / "store")})
    try:
        yield served
    finally:
        code = await served.stop()
    assert code == 0, served.stderr()[-3000:]


def error_answers(client: RpcClient, msg_id: str | None) -> list[dict[str, Any]]:
    return [
        m["error"]
        for m in client.messages
        if "method" not in m and m.get("id") == msg_id and "error" in m
    ]


@pytest.mark.parametrize("mistake", list(MISTAKES))
async def test_after_a_misframed_message_it_is_answered_and_later_requests_are_too(
    client: RpcClient, mistake: str
) -> None:
    sent, code, msg_id = MISTAKES[mistake]
    await client.write(sent())

    answers = await client.wait_for(
        lambda: error_answers(client, msg_id) or None, ANSWER_WITHIN, f"the error for {mistake}"
    )
    assert answers[0]["code"] == code
    if code == PARSE_ERROR:
        assert answers[0]["message"].startswith("Parse error")

    await client.write(request_frame(AFTER_ID))
    after = await client.response(AFTER_ID, within=ANSWER_WITHIN)
    assert after["result"]["home"]
    assert client.process.returncode is None
    if mistake == "too large, with frames after it":
        assert "result" in await client.response("between", within=ANSWER_WITHIN)
    assert not error_answers(client, AFTER_ID)
    assert "Traceback" not in client.stderr()


async def test_a_burst_of_every_mistake_at_once_leaves_the_server_serving(
    client: RpcClient,
) -> None:
    burst = b"".join(sent() for name, (sent, _c, _i) in MISTAKES.items() if name != "oversized")
    await client.write(burst + b"\r\n" + request_frame(AFTER_ID))
    after = await client.response(AFTER_ID, within=ANSWER_WITHIN)
    assert "result" in after
    assert error_answers(client, BAD_ID)
    assert "result" in await client.response("between", within=ANSWER_WITHIN)


# -- a client that stops reading ---------------------------------------------------------------


def requests(method: str, count: int, params: Callable[[int], dict[str, Any]]) -> list[bytes]:
    return [
        encode({"jsonrpc": "2.0", "id": n, "method": method, "params": params(n)})
        for n in range(1, count + 1)
    ]


@pytest.fixture
def frozen(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], FrozenClient]]:
    started: list[FrozenClient] = []

    def start(env: dict[str, str]) -> FrozenClient:
        client = FrozenClient(tmp_path, env)
        started.append(client)
        client.initialize(tmp_path / "store")
        return client

    yield start
    for client in started:
        client.kill()


def test_past_the_output_limit_a_client_that_does_not_read_makes_the_server_exit(
    frozen: Callable[[dict[str, str]], FrozenClient],
) -> None:
    client = frozen({MAX_PENDING_ENV: str(256 * 1024), STALL_ENV: "600"})
    client.send_in_background(requests("multicodex/paths", 20_000, lambda _n: {}))

    assert client.exit_code(EXIT_WITHIN) == EXIT_CLIENT_NOT_READING, client.stderr()[-3000:]
    assert "not reading the server's output" in client.stderr()
    assert "Traceback" not in client.stderr()


def test_a_client_that_reads_nothing_for_the_stall_time_makes_the_server_exit(
    frozen: Callable[[dict[str, str]], FrozenClient],
) -> None:
    client = frozen({STALL_ENV: "1"})
    client.send_in_background(requests("multicodex/paths", 2_000, lambda _n: {}))

    assert client.exit_code(EXIT_WITHIN) == EXIT_CLIENT_NOT_READING, client.stderr()[-3000:]
    assert "read nothing for 1 s" in client.stderr()


LOCK_AND_WRITE = """
import sys
from multicodex.store.document import Store
with Store.open(sys.argv[1], lock_timeout=20).transaction() as doc:
    doc.settings.usage_ttl_seconds = 4321
"""


def test_while_its_output_is_stuck_the_server_holds_no_store_lock(
    frozen: Callable[[dict[str, str]], FrozenClient], tmp_path: Path
) -> None:
    home = tmp_path / "store"
    client = frozen({STALL_ENV: "600"})
    count = 1_000  # ~2 MB of answers: far more than the pipe holds
    sender = client.send_in_background(
        requests(
            "multicodex/rotation/set",
            count,
            # n itself marks the last request: the server may still be working through
            # the others (in order) when the sender is done
            lambda n: {"retry_limit": n % 50, "fallback_cooldown_seconds": n},
        )
    )
    sender.join(EXIT_WITHIN)
    assert not sender.is_alive(), "the server stopped reading its input"
    store = Store.open(home)
    settled = client.exit_code(0)
    for _ in range(1_800):  # every request was served, its answer still unread (90 s)
        if store.read().settings.rotation.fallback_cooldown_seconds == count:
            break
        settled = client.exit_code(0.05)
    rotation = store.read().settings.rotation
    assert (rotation.fallback_cooldown_seconds, rotation.retry_limit) == (count, count % 50)
    assert client.unread_output() >= client.pipe_capacity() // 2, "stdout is full"

    other = subprocess.run(
        [sys.executable, "-c", LOCK_AND_WRITE, str(home)],
        env=server_env(tmp_path),
        capture_output=True,
        timeout=EXIT_WITHIN,
        check=False,
    )

    assert other.returncode == 0, other.stderr.decode(errors="replace")[-2000:]
    assert store.read().settings.usage_ttl_seconds == 4321
    assert settled is None and client.exit_code(0) is None, "still waiting for its client"
