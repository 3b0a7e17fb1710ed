"""What route handlers share: the emulator state and the serving loop's stop signal."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from starlette.requests import Request

from multicodex_emulator.sse_events import StreamDrop
from multicodex_emulator.state import EmulatorState


@dataclass
class AppContext:
    state: EmulatorState
    stopping: asyncio.Event
    """Set when the server shuts down: pending waits end and streams are cut."""

    async def pause(self, seconds: float) -> bool:
        """Sleep `seconds`; False if the server began stopping first."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return not self.stopping.is_set()
        try:
            await asyncio.wait_for(self.stopping.wait(), seconds)
        except TimeoutError:
            return True
        return False

    async def stream_pause(self, seconds: float) -> None:
        """`pause` for event streams: a stopping server cuts the stream."""
        if not await self.pause(seconds):
            raise StreamDrop("reset")


def app_context(request: Request) -> AppContext:
    context = request.app.state.emu
    assert isinstance(context, AppContext)
    return context
