"""Fixtures for the `multicodex` command tests: an emulator served from its own thread on
127.0.0.1 and a rig that runs the real command against it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_rig import CliRig

from multicodex_emulator import Emulator


@pytest.fixture
def cli_emulator() -> Emulator:
    # 0 tokens per second: answers stream without pacing, the tests stay fast.
    return Emulator(tokens_per_second=0)


@pytest.fixture
def cli(cli_emulator: Emulator, tmp_path: Path) -> Iterator[CliRig]:
    with cli_emulator.serve_in_thread() as base_url:
        rig = CliRig(emu=cli_emulator, base_url=base_url, root=tmp_path)
        yield rig
    rig.assert_clean()
