"""`multicodex serve` over plain pipes with a client that reads the answer to ``initialize``
and then never reads the server's output again, as a frozen editor would."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from support.rpc_client import content_length, encode
from support.server_rig import server_env

START_WITHIN = 30.0


class FrozenClient:
    def __init__(self, root: Path, env: Mapping[str, str]) -> None:
        self.stderr_path = root / "server-stderr.log"
        with self.stderr_path.open("wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "multicodex.server"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env={**server_env(root), **env},
            )
        assert self.process.stdout is not None
        self._stdout = self.process.stdout.fileno()

    def initialize(self, home: Path) -> dict[str, Any]:
        """Initialize (reading that one answer) and send ``initialized``."""
        params = {
            "processId": None,
            "capabilities": {},
            "initializationOptions": {"home": str(home)},
        }
        self.send(encode({"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params}))
        answer = self._read_one_frame(START_WITHIN)
        self.send(encode({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
        return answer

    def send(self, data: bytes) -> bool:
        """Write to the server's stdin; False once the server has gone away."""
        stdin = self.process.stdin
        assert stdin is not None
        try:
            stdin.write(data)
            stdin.flush()
        except (BrokenPipeError, ValueError):
            return False
        return True

    def send_in_background(self, messages: Iterable[bytes]) -> threading.Thread:
        """Send ``messages`` from a thread (a server that stops reading stdin would block
        the sender); the thread ends when all are sent or the server is gone."""

        def run() -> None:
            for message in messages:
                if not self.send(message):
                    return

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread

    def exit_code(self, within: float) -> int | None:
        """The server's exit code once it exits, None if it is still running after
        ``within`` seconds."""
        try:
            return self.process.wait(within)
        except subprocess.TimeoutExpired:
            return None

    def unread_output(self) -> int:
        """Bytes the server wrote that wait in its stdout pipe."""
        count = fcntl.ioctl(self._stdout, termios.FIONREAD, b"\0\0\0\0")
        return int.from_bytes(count, sys.byteorder)

    def pipe_capacity(self) -> int:
        return fcntl.fcntl(self._stdout, fcntl.F_GETPIPE_SZ)

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def _read_one_frame(self, within: float) -> dict[str, Any]:
        deadline = time.monotonic() + within
        data = b""
        while True:
            header, ended, body = data.partition(b"\r\n\r\n")
            if ended and len(body) >= content_length(header):
                return dict(json.loads(body))
            remaining = deadline - time.monotonic()
            readable, _w, _x = select.select([self._stdout], [], [], max(0.0, remaining))
            if not readable:
                raise TimeoutError(f"no answer within {within:g} s: {self.stderr()[-2000:]}")
            chunk = os.read(self._stdout, 1)  # one byte at a time: read nothing past it
            if not chunk:
                raise ConnectionError(f"the server closed stdout: {self.stderr()[-2000:]}")
            data += chunk
