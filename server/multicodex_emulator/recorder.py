"""The request log: every request the emulator served, as tests want to inspect it."""

from __future__ import annotations

import threading
import time
from collections import deque

from multicodex_emulator.models import RecordedRequest

REDACTED = "REDACTED"
_SECRET_HEADERS = frozenset({"authorization", "cookie"})


class RequestLog:
    """Bounded, thread-safe. Records are mutated in place while their request runs."""

    def __init__(self, limit: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._records: deque[RecordedRequest] = deque(maxlen=limit)
        self._next_id = 1

    def start(
        self, method: str, path: str, query: str, raw_headers: list[tuple[bytes, bytes]]
    ) -> RecordedRequest:
        headers = _header_dict(raw_headers)
        with self._lock:
            record = RecordedRequest(
                id=self._next_id,
                method=method,
                path=path,
                query=query,
                headers=headers,
                started_at=time.time(),
                content_encoding=headers.get("content-encoding"),
                session_id=headers.get("session_id") or headers.get("session-id"),
                thread_id=headers.get("thread-id") or headers.get("thread_id"),
                conversation_id=headers.get("conversation_id") or headers.get("conversation-id"),
                client_request_id=headers.get("x-client-request-id"),
                turn_state=headers.get("x-codex-turn-state"),
            )
            self._next_id += 1
            self._records.append(record)
        return record

    def snapshot(
        self, path: str | None = None, account_id: str | None = None, since_id: int = 0
    ) -> list[RecordedRequest]:
        with self._lock:
            records = list(self._records)
        return [
            r.model_copy(deep=True)
            for r in records
            if r.id > since_id
            and (path is None or r.path == path)
            and (account_id is None or r.account_id == account_id)
        ]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()


def _header_dict(raw_headers: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in raw_headers:
        name = raw_name.decode("latin-1").lower()
        value = REDACTED if name in _SECRET_HEADERS else raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers
