"""A barrage of generated frames against ONE server process: malformed JSON, wrong
JSON-RPC shapes, wrong types in every param of every method, unknown methods, stray
notifications and responses, and messages of a few megabytes. The server must stay up,
answer every request that carries an id, never with a traceback or an internal error,
and still serve a valid request at the end."""

from __future__ import annotations

import contextlib
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from multicodex.protocol import METHODS
from support.rpc_client import encode, frame
from support.server_rig import TOKEN_IN_TEXT, free_port, server_env

EXAMPLES = 200
FRAMES_PER_EXAMPLE = (50, 60)
MIN_FRAMES = 10_000
ANSWER_WITHIN = 60.0
ID_KEY = "__id__"
"""Placeholder replaced by a fresh, unique request id when the frame is sent."""

leaves = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=24)
)
json_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=8,
)
bad_ids = (
    st.none()
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.lists(leaves, max_size=2)
    | st.dictionaries(st.text(max_size=3), leaves, max_size=2)
)


def params_for(method: str) -> st.SearchStrategy[Any]:
    """Every field of the method's params, each with any JSON value (often the wrong type)."""
    fields = list(METHODS[method].params.model_fields)  # type: ignore[index]
    shaped = st.fixed_dictionaries({}, optional={name: json_values for name in fields})
    with_extra = st.builds(
        lambda p, extra: {**p, **extra},
        shaped,
        st.dictionaries(st.text(max_size=8), leaves, max_size=2),
    )
    return shaped | with_extra | json_values


method_names = sorted(m.value for m in METHODS)
known_requests = st.one_of(
    [
        params_for(m).map(lambda p, m=m: {"jsonrpc": "2.0", ID_KEY: True, "method": m, "params": p})
        for m in method_names
    ]
)
unknown_requests = st.builds(
    lambda name, params: {"jsonrpc": "2.0", ID_KEY: True, "method": name, "params": params},
    st.text(max_size=30) | st.text(max_size=20).map(lambda s: f"multicodex/{s}"),
    json_values,
)
wrong_envelopes = st.builds(
    lambda version, method, params: {
        "jsonrpc": version,
        ID_KEY: True,
        "method": method,
        "params": params,
    },
    json_values.filter(lambda v: v != "2.0"),
    st.sampled_from(method_names) | json_values,
    json_values,
) | st.builds(
    lambda method, params: {"jsonrpc": "2.0", ID_KEY: True, "method": method, "params": params},
    json_values.filter(lambda v: not isinstance(v, str)),
    json_values,
)
bad_id_requests = st.builds(
    lambda msg_id, method: {"jsonrpc": "2.0", "id": msg_id, "method": method},
    bad_ids,
    st.sampled_from(method_names),
)
notifications = st.builds(
    lambda method, params: {"jsonrpc": "2.0", "method": method, "params": params},
    (
        st.sampled_from([*method_names, "initialized", "$/cancelRequest", "$/setTrace"])
        | st.text(max_size=20)
    ).filter(lambda m: m != "exit"),
    json_values,
)
stray_responses = st.builds(
    lambda msg_id, result: {"jsonrpc": "2.0", "id": msg_id, "result": result},
    st.integers(min_value=0, max_value=10**6) | st.text(max_size=8),
    json_values,
)
not_objects = st.lists(json_values, max_size=3) | leaves
garbage_bytes = st.binary(max_size=300).map(lambda b: ("raw", b))


def huge_request(n: int) -> dict[str, Any]:
    """A request of a few megabytes (an oversized prompt and key)."""
    method = method_names[n % len(method_names)]
    params = {"prompt": "x" * 3_000_000, "key": ["y" * 100_000] * 5}
    return {"jsonrpc": "2.0", ID_KEY: True, "method": method, "params": params}


junk_lines = st.text(alphabet="abcdefghij XYZ-_.", max_size=40).map(lambda s: ("junk", s))

one_frame = st.one_of(
    known_requests,
    known_requests,
    known_requests,
    unknown_requests,
    wrong_envelopes,
    bad_id_requests,
    notifications,
    stray_responses,
    not_objects,
    garbage_bytes,
    junk_lines,
)
HUGE_EVERY = 10
"""One example in ten also carries a request of a few megabytes."""


class PipeServer:
    """The server over plain pipes, with a thread collecting every answer's id."""

    def __init__(self, root: Path) -> None:
        self.stderr_path = root / "fuzz-stderr.log"
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "multicodex.server"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=server_env(root),
            )
        self.answers: dict[Any, dict[str, Any]] = {}
        self.null_id_answers = 0
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def send(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)
        self.process.stdin.flush()

    def wait_until(self, probe: Callable[[], bool], within: float) -> bool:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if probe():
                return True
            time.sleep(0.05)
        return probe()

    def answered(self, msg_id: Any) -> bool:
        with self._lock:
            return msg_id in self.answers

    def stop(self) -> int:
        with contextlib.suppress(OSError):
            self.send(encode({"jsonrpc": "2.0", "id": "bye", "method": "shutdown"}))
            self.wait_until(lambda: self.answered("bye"), 15)
            self.send(encode({"jsonrpc": "2.0", "method": "exit"}))
            assert self.process.stdin is not None
            self.process.stdin.close()
        try:
            return self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def _read(self) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        while True:
            length = None
            while True:
                line = stdout.readline()
                if not line:
                    return
                if not line.strip() and length is not None:
                    break
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            message = json.loads(stdout.read(length))
            if "method" not in message:
                with self._lock:
                    if message.get("id") is None:
                        self.null_id_answers += 1
                    else:
                        self.answers[message["id"]] = message


def encode_frame(template: Any, ids: itertools.count[int]) -> tuple[bytes, Any]:
    """The bytes to send and the request id that must be answered (None if none must)."""
    if isinstance(template, tuple) and template[0] == "raw":
        return frame(template[1]), None
    if isinstance(template, tuple) and template[0] == "junk":
        return template[1].encode() + b"\r\n", None
    if isinstance(template, dict) and template.pop(ID_KEY, False):
        n = next(ids)
        msg_id: Any = n if n % 2 else f"fuzz-{n}"
        return encode({"id": msg_id, **template}), msg_id
    return encode(template), None


def test_a_barrage_of_generated_frames_never_breaks_the_server(tmp_path: Path) -> None:
    server = PipeServer(tmp_path)
    ids = itertools.count(1)
    examples = itertools.count()
    expected: list[Any] = []
    sent = 0
    try:
        server.send(
            encode(
                {
                    "jsonrpc": "2.0",
                    "id": "init",
                    "method": "initialize",
                    "params": {
                        "processId": None,
                        "rootUri": None,
                        "capabilities": {},
                        "initializationOptions": {
                            "home": str(tmp_path / "store"),
                            "auth_url": f"http://127.0.0.1:{free_port()}",
                            "backend_url": f"http://127.0.0.1:{free_port()}/backend-api",
                            "callback_ports": [free_port()],
                        },
                    },
                }
            )
        )
        assert server.wait_until(lambda: server.answered("init"), 30), (
            server.stderr_path.read_text()
        )
        server.send(encode({"jsonrpc": "2.0", "method": "initialized", "params": {}}))

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(st.lists(one_frame, min_size=FRAMES_PER_EXAMPLE[0], max_size=FRAMES_PER_EXAMPLE[1]))
        def barrage(frames: list[Any]) -> None:
            nonlocal sent
            if next(examples) % HUGE_EVERY == 0:
                frames = [*frames, huge_request(sent)]
            data = bytearray()
            for template in frames:
                chunk, msg_id = encode_frame(template, ids)
                data += chunk
                if msg_id is not None:
                    expected.append(msg_id)
            server.send(bytes(data))
            sent += len(frames)

        barrage()
        server.send(encode({"jsonrpc": "2.0", "id": "last", "method": "multicodex/status/get"}))

        assert server.wait_until(lambda: server.answered("last"), ANSWER_WITHIN), (
            server.stderr_path.read_text()[-3000:]
        )
        assert server.wait_until(lambda: all(server.answered(i) for i in expected), ANSWER_WITHIN)
        assert server.process.poll() is None
    finally:
        code = server.stop()

    assert sent >= MIN_FRAMES
    assert "result" in server.answers["last"]
    assert server.answers["last"]["result"]["no_accounts"] is True
    errors = [a["error"] for a in server.answers.values() if "error" in a]
    assert not [e for e in errors if e["code"] == -32603], "no request may hit an internal error"
    assert not [e for e in errors if "traceback" in json.dumps(e.get("data"))]
    assert server.null_id_answers > 0, "malformed input is answered with a null id"
    assert code == 0
    assert not TOKEN_IN_TEXT.search(server.stderr_path.read_text(errors="replace"))
