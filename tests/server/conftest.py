"""Fixtures for end-to-end tests of `multicodex serve` (see support.server_rig)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from multicodex_emulator import Emulator
from support.server_rig import ServerRig, assert_no_tokens, start_server


@pytest.fixture
def server_emulator() -> Emulator:
    return Emulator(tokens_per_second=0)


@pytest.fixture
async def server_rig(server_emulator: Emulator, tmp_path: Path) -> AsyncIterator[ServerRig]:
    async with server_emulator.serve() as base_url:
        served = await start_server(server_emulator, base_url, tmp_path)
        try:
            yield served
        finally:
            code = await served.client.stop()
        assert code == 0, served.client.stderr()[-3000:]
        assert_no_tokens(served)
