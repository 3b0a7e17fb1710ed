"""A database outage never loses a rotated refresh token: the database is stopped after
the token endpoint rotated an account's token and before its answer reached the database.
The answer waits in the machine's journal and lands in the database once it is back, so
another machine then refreshes the account with the new token: none reused."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from multicodex_emulator import Emulator
from postgres.cluster import Cluster
from postgres.conftest import Database
from postgres.machines import REFRESH, Machines

pytestmark = pytest.mark.timeout(120)

TOKEN_LATENCY = 2.0
"""The token endpoint's answer comes this long after the rotation: the database is
stopped meanwhile."""
WAIT = 30.0


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(tokens_per_second=0)
    with emu.serve_in_thread() as base_url:
        yield emu, base_url


async def until(probe: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {WAIT:g} s")
        await asyncio.sleep(0.05)


async def test_an_answer_the_database_missed_lands_when_it_returns(
    emulator: tuple[Emulator, str],
    database: Database,
    postgres_cluster: Cluster,
    tmp_path: Path,
) -> None:
    emu, base_url = emulator
    machines = Machines(emu, base_url, tmp_path, database)
    (key,) = machines.seed(1, prefix="outage")
    seeded = machines.store()
    spent = seeded.peek().accounts[0].tokens.refresh_token
    seeded.close()
    laptop = await machines.start("laptop")
    try:
        emu.update_settings(token_latency=TOKEN_LATENCY)
        machines.expire_every_access_token()
        asked = await laptop.client.send_request(REFRESH, {})
        await until(lambda: machines.counters("refreshes")[key] == 1, "rotation")
        postgres_cluster.stop()
        answer = await laptop.client.response(asked, within=WAIT)
        assert "error" in answer or answer["result"]["failed"] == 1, answer
        postgres_cluster.start()

        def landed() -> bool:
            store = machines.store()
            try:
                return store.peek().accounts[0].tokens.refresh_token != spent
            finally:
                store.close()

        await until(landed, "refreshed tokens in the database")
        emu.update_settings(token_latency=0)
        desktop = await machines.start("desktop")
        machines.expire_every_access_token()
        result = await desktop.client.request(REFRESH, {}, within=WAIT)
        assert result["failed"] == 0 and result["needs_reauth"] == 0, result
        assert machines.counters("refreshes")[key] == 2
        assert machines.counters("refresh_reused")[key] == 0
    finally:
        await machines.stop_all()
