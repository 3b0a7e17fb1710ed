"""The event loop every long-running command runs on: uvloop where it is installed (it is
a dependency everywhere but Windows), asyncio's own loop otherwise.

uvloop's transports, timers and callbacks cost a fraction of asyncio's: each request through
``serve`` or the proxy crosses the loop a few dozen times, so this is a quarter of a
millisecond off the time to first delta. ``MULTICODEX_EVENT_LOOP=asyncio`` runs on asyncio's
loop instead (to tell a uvloop problem from ours).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

ENVIRONMENT = "MULTICODEX_EVENT_LOOP"
CHOICES = ("uvloop", "asyncio")

log = logging.getLogger(__name__)


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop, unless it is missing or ``MULTICODEX_EVENT_LOOP=asyncio``; None
    means asyncio's default."""
    chosen = os.environ.get(ENVIRONMENT, "").strip().lower()
    if chosen == "asyncio":
        return None
    if chosen and chosen not in CHOICES:
        log.warning("%s=%r is neither uvloop nor asyncio: ignored", ENVIRONMENT, chosen)
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on the chosen loop: the same Ctrl-C handling (the main task is
    cancelled, then KeyboardInterrupt), the same shutdown of generators and executors."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
