"""Per-request values the recording middleware leaves in the ASGI scope for handlers."""

from __future__ import annotations

import asyncio
from collections.abc import MutableMapping
from typing import Any

from starlette.requests import Request

from multicodex_emulator.models import RecordedRequest

RECORD_KEY = "emu.record"
TRANSPORT_KEY = "emu.transport"


def current_record(request: Request) -> RecordedRequest | None:
    record = request.scope.get("state", {}).get(RECORD_KEY)
    return record if isinstance(record, RecordedRequest) else None


def note(request: Request, **fields: Any) -> None:
    """Set fields on the request's log record (no-op for unrecorded requests)."""
    record = current_record(request)
    if record is not None:
        for name, value in fields.items():
            setattr(record, name, value)


def connection_transport(scope: MutableMapping[str, Any]) -> asyncio.BaseTransport | None:
    transport = scope.get("state", {}).get(TRANSPORT_KEY)
    return transport if isinstance(transport, asyncio.BaseTransport) else None
