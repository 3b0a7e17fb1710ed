"""Suite-wide guard: no log record produced by any test may carry a token."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

# A JWT (header and payload are base64url JSON objects) or an emulator refresh token.
TOKEN_PATTERN = re.compile(r"eyJ[\w-]{8,}\.eyJ[\w-]{8,}|\brt_[\w-]{20,}")


class _Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            text += f" {record.exc_info[1]!r} {record.exc_info[1]}"
        if TOKEN_PATTERN.search(text):
            self.leaks.append(f"{record.name}: {text[:200]}")


@pytest.fixture(autouse=True)
def no_token_in_logs() -> Iterator[None]:
    recorder = _Recorder()
    root = logging.getLogger()
    root.addHandler(recorder)
    previous = root.level
    root.setLevel(logging.DEBUG)  # see what INFO/DEBUG would write, not just warnings
    logging.getLogger("filelock").setLevel(logging.INFO)  # lock chatter, never a secret
    try:
        yield
    finally:
        root.setLevel(previous)
        root.removeHandler(recorder)
    assert not recorder.leaks, f"a log record carried a token: {recorder.leaks[0]}"
