from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from proxy_rig import ProxyRig, serve_proxy

from fidelity.fidelity_rig import install_codex_clis


@pytest.fixture(scope="session")
def codex_cli_installed() -> None:
    """The real Codex CLIs from npm (tests/fidelity/setup.sh: `npm ci` once, then a no-op)."""
    install_codex_clis()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[ProxyRig]:
    async with serve_proxy(tmp_path) as served:
        yield served
