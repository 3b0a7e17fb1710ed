"""The backend's own bytes for a pass-through request (``multicodex proxy``).

Nothing is relayed while the stream holds only its preamble (``response.created``,
``response.in_progress``): a failure there still moves the request to another account
unseen. From the first other event on, every byte read is handed on as it came, so the
client parses the backend's stream itself and no event is encoded twice; the stream then
skims (``ResponseStream.skim``): a chunk is parsed only when it may hold the end, so the
relay costs one hand-over per chunk read, not a JSON decode per event.
"""

from __future__ import annotations

from multicodex.codex.client import ResponseStream
from multicodex.rotation.models import RawChunk

PREAMBLE_EVENTS = frozenset({"response.created", "response.in_progress"})


class RawRelay:
    """Collects what ``stream`` reads and hands it on once output may go out."""

    __slots__ = ("_account_key", "_raw", "_started", "_stream")

    def __init__(self, stream: ResponseStream, account_key: str) -> None:
        self._stream = stream
        self._raw: list[bytes] = []
        stream.raw = self._raw
        self._account_key = account_key
        self._started = False

    def after(self, event_type: str) -> RawChunk | None:
        """The bytes read up to and including the event just parsed, once they may go."""
        if not self._started and event_type in PREAMBLE_EVENTS:
            return None
        if not self._raw:
            return None  # the chunk's bytes went out with an earlier event of it
        data = self._raw[0] if len(self._raw) == 1 else b"".join(self._raw)
        self._raw.clear()
        headers = None
        if not self._started:
            headers = self._stream.headers
            self._started = True
            self._stream.skim()
        return RawChunk(data=data, account_key=self._account_key, headers=headers)
