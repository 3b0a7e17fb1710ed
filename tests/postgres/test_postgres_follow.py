"""Every server on the database hears another machine's change at once: an account
renamed on one machine shows in the status the other machine's server pushes (LISTEN/NOTIFY, not
the periodic re-check, which these servers run once a minute). The delay is printed."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from multicodex_emulator import Emulator
from postgres.conftest import Database
from postgres.machines import STATUS, Machines

pytestmark = pytest.mark.timeout(120)

RESTING = {"status_refresh_seconds": 60}
"""The periodic re-check is far away: only a notification can move the status in time."""


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(tokens_per_second=0)
    with emu.serve_in_thread() as base_url:
        yield emu, base_url


def shows_label(key: str, label: str) -> Callable[[dict[str, Any]], bool]:
    return lambda status: any(
        a["key"] == key and a["display_name"] == label for a in status["accounts"]
    )


async def test_a_change_on_one_machine_shows_in_the_other_machines_status(
    emulator: tuple[Emulator, str], database: Database, tmp_path: Path
) -> None:
    emu, base_url = emulator
    machines = Machines(emu, base_url, tmp_path, database)
    first, _second = list(machines.seed(2, prefix="follow"))
    laptop, desktop = await machines.start_many(["laptop", "desktop"], **RESTING)
    try:
        for label in ("work", "home", "spare"):
            began = time.perf_counter()
            await laptop.client.request("multicodex/accounts/label", {"key": first, "label": label})
            await desktop.client.notification(STATUS, shows_label(first, label), within=5)
            delay = time.perf_counter() - began
            print(f"\nthe other machine's status showed the change in {delay * 1000:.0f} ms")
    finally:
        await machines.stop_all()
