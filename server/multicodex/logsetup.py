"""The one logging setup of every MultiCodex process: stderr only, WARNING by default, and
scrubbed of anything that looks like a credential before it is written (tracebacks
included). The server and the CLI differ only in how a line starts (`SERVER_LINE`,
`CLI_LINE`) and how the level is chosen."""

from __future__ import annotations

import logging
import re
import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from multicodex.protocol import LogLevel

_PATTERNS = (
    re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(r"\b(?:rt|ac|sk|sess)[_-][A-Za-z0-9_-]{12,}"),  # opaque OAuth tokens
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)\b(access_token|refresh_token|id_token|code|code_verifier|client_secret|"
        r"password|token)([\"']?\s*[=:]\s*[\"']?)[^\s&\"',}]+"
    ),
)
REDACTED = "[redacted]"
LOUD_LIBRARIES = ("pygls", "httpx2", "httpcore", "uvicorn", "asyncio")
SERVER_LINE = "%(asctime)s %(levelname)s %(name)s: %(message)s"
"""The server's stderr is the editor's output channel: times tell its lines apart."""
CLI_LINE = "multicodex: %(levelname)s %(name)s: %(message)s"
"""A command's stderr is read next to its other ``multicodex: ...`` lines."""


def scrub(text: str) -> str:
    """``text`` with JWTs, opaque tokens, bearer headers and ``token=…`` values redacted."""
    for pattern in _PATTERNS:
        if pattern.groups >= 2:
            text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
        else:
            text = pattern.sub(REDACTED, text)
    return text


class ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def configure_logging(
    level: LogLevel = "warning", *, line: str = SERVER_LINE, stream: TextIO | None = None
) -> None:
    """Send every log record to stderr (or ``stream``) as ``line``, scrubbed; only
    MultiCodex's own logger follows ``level`` (libraries stay at WARNING: pygls at INFO
    logs whole message bodies)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(ScrubbingFormatter(line))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in LOUD_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    set_level(level)


def set_level(level: LogLevel) -> None:
    logging.getLogger("multicodex").setLevel(level.upper())


def level_for_verbosity(verbose: int) -> LogLevel:
    """``-v`` INFO, ``-vv`` (or more) DEBUG, else WARNING."""
    levels: tuple[LogLevel, ...] = ("warning", "info", "debug")
    return levels[min(max(verbose, 0), len(levels) - 1)]
