"""The real `multicodex serve` never goes deaf: after every kind of mis-framed message the
bad one is answered (with its id when its start shows one) and later requests are served."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from multicodex.rpc.framing import MAX_BODY_BYTES
from support.rpc_client import RpcClient, encode, frame
from support.server_rig import server_env

ANSWER_WITHIN = 30.0
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
