"""Fixtures for the fidelity tests: the real Codex CLIs, and an emulator served over TLS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fidelity_rig import CODEX_CLIS, CodexCli, CodexHome, WallClockBehind, install_codex_clis

from multicodex_emulator import Emulator


@pytest.fixture(scope="session")
def installed_clis() -> None:
    """Both CLIs in tests/fidelity/node_modules, installed by setup.sh if needed."""
    install_codex_clis()


@pytest.fixture(params=CODEX_CLIS, ids=[cli.version for cli in CODEX_CLIS])
def codex_cli(request: pytest.FixtureRequest, installed_clis: None) -> CodexCli:
    """Each test that runs the CLI runs once per pinned release."""
    cli: CodexCli = request.param
    return cli


@pytest.fixture
def wall_clock() -> WallClockBehind:
    return WallClockBehind()


@pytest.fixture
def emu(wall_clock: WallClockBehind) -> Emulator:
    # 0 tokens per second: the answer streams without pacing.
    return Emulator(tokens_per_second=0, clock=wall_clock)


@pytest.fixture
def emu_url(emu: Emulator) -> Iterator[str]:
    """The emulator over https (the CLI insists on https for a custom ChatGPT backend)."""
    with emu.serve_in_thread(tls=True) as base_url:
        yield base_url


@pytest.fixture
def ca_pem(emu: Emulator, emu_url: str) -> str:
    path = emu.ca_pem_path
    assert path is not None
    return path


@pytest.fixture
def codex_home(tmp_path: Path, emu_url: str) -> CodexHome:
    return CodexHome(tmp_path, emu_url)
