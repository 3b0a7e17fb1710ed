from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from proxy_rig import ProxyRig, serve_proxy


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[ProxyRig]:
    async with serve_proxy(tmp_path) as served:
        yield served
