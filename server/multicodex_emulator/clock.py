"""Emulator time: a wall (or injected) clock plus an offset that tests can push forward."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class EmuClock:
    """Unix seconds as the emulator sees them; `advance` travels forward, never back."""

    def __init__(self, source: Callable[[], float] | None = None) -> None:
        self._source = source or time.time
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            offset = self._offset
        return float(self._source()) + offset

    def advance(self, seconds: float) -> float:
        """Move emulator time forward by `seconds` and return the new now."""
        if seconds < 0:
            raise ValueError("the emulator clock only moves forward")
        with self._lock:
            self._offset += seconds
        return self.now()
