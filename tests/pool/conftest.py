from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from support.rig import Rig, serve_rig


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    async with serve_rig(tmp_path) as served:
        yield served
