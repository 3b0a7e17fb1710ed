"""The acceptance storm on a real PostgreSQL: 8 `multicodex serve` processes with homes of
their own (8 machines) on one database and 20 accounts whose access tokens the emulator
expires together.

First every server refreshes every account at once: the token endpoint sees exactly one
refresh per account and no refresh token twice. Then the same again while one server is
SIGKILLed in the middle of a refresh (holding an account's refresh lock) and the database
is restarted mid-storm; the killed server's machine starts a server again (its journal
is merged at start) and afterwards every account refreshes, none needs a new login and no
refresh token was spent twice, except (measured, printed) an answer that was on its way
from the token endpoint when its server died: that pair existed nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from multicodex.store.postgres.locks import account_lock
from multicodex_emulator import Emulator
from postgres.cluster import Cluster
from postgres.conftest import Database
from postgres.machines import LIST, REFRESH, Machines
from support.rpc_client import RpcError
from support.server_rig import ServerRig, assert_no_tokens

pytestmark = pytest.mark.timeout(240)

SERVERS = 8
ACCOUNTS = 20
WAIT = 60.0


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(tokens_per_second=0)
    with emu.serve_in_thread() as base_url:
        yield emu, base_url


async def refresh_on(servers: list[ServerRig]) -> list[dict[str, Any]]:
    """Every server refreshes every account at once; each answer (a result or an error)."""
    asked = [(rig, await rig.client.send_request(REFRESH, {})) for rig in servers]
    return [await rig.client.response(msg_id, within=WAIT) for rig, msg_id in asked]


async def kill_one_mid_refresh(machines: Machines) -> tuple[str, set[str]]:
    """SIGKILL the first server seen holding an account's refresh lock; its machine's name
    and the accounts it was refreshing."""
    lock_keys = {account_lock(key): key for key in machines.ids_by_key}
    by_name = {rig.root.name: rig for rig in machines.servers}
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        holding = await asyncio.to_thread(machines.sessions_holding, lock_keys)
        for name, accounts in holding.items():
            rig = by_name.get(name)
            if rig is not None and rig.client.process.returncode is None:
                os.kill(rig.client.process.pid, signal.SIGKILL)
                await asyncio.wait_for(rig.client.process.wait(), 10)
                return name, accounts
        await asyncio.sleep(0.005)
    raise TimeoutError("no server was seen refreshing")


async def refresh_until_every_account_did(
    machines: Machines, servers: list[ServerRig], before: dict[str, int]
) -> dict[str, int]:
    """Ask the servers, one after the other, until every account refreshed since
    ``before`` (an answer kept by a machine whose database connection broke lands there
    first; a server's first request after the restart may meet a connection the restart
    closed, and fails fast); bounded."""
    deadline = time.monotonic() + WAIT
    while True:
        for rig in servers:
            with contextlib.suppress(RpcError):
                await rig.client.request(REFRESH, {}, within=WAIT)
        refreshed = {k: n - before[k] for k, n in machines.counters("refreshes").items()}
        if all(refreshed.values()) or time.monotonic() > deadline:
            return refreshed
        await asyncio.sleep(0.5)


async def test_eight_machines_refresh_each_account_once_and_lose_none_to_a_kill_or_restart(
    emulator: tuple[Emulator, str],
    database: Database,
    postgres_cluster: Cluster,
    tmp_path: Path,
) -> None:
    emu, base_url = emulator
    machines = Machines(emu, base_url, tmp_path, database)
    machines.seed(ACCOUNTS, prefix="storm")
    servers = await machines.start_many([f"machine-{n}" for n in range(SERVERS)])
    try:
        # All at once: one refresh per account, whichever machine wins it.
        before = machines.counters("refreshes")
        machines.expire_every_access_token()
        began = time.perf_counter()
        answers = await refresh_on(servers)
        took = time.perf_counter() - began
        assert all("result" in answer for answer in answers), answers
        refreshed = {k: n - before[k] for k, n in machines.counters("refreshes").items()}
        assert refreshed == dict.fromkeys(machines.ids_by_key, 1)
        assert sum(machines.counters("refresh_reused").values()) == 0
        print(f"\n{SERVERS} machines, {ACCOUNTS} accounts: one refresh each in {took:.2f} s")

        # Again, with a server killed mid-refresh and the database restarted meanwhile.
        machines.expire_every_access_token()
        asked = [(rig, await rig.client.send_request(REFRESH, {})) for rig in servers]
        victim, at_risk = await kill_one_mid_refresh(machines)
        postgres_cluster.stop()
        postgres_cluster.start()
        for rig, msg_id in asked:
            if rig.client.process.returncode is None:
                await rig.client.response(msg_id, within=WAIT)  # a result or an error
        survivors = [rig for rig in servers if rig.client.process.returncode is None]
        back = await machines.start(victim)  # the same machine starts a server again

        before = machines.counters("refreshes")
        machines.expire_every_access_token()
        refreshed = await refresh_until_every_account_did(machines, [back, *survivors], before)
        reused = machines.counters("refresh_reused")
        listing = await back.client.request(LIST, {})
        needs_login = {a["key"] for a in listing["accounts"] if a["state"] == "needs_reauth"}
        lost = {key for key, n in reused.items() if n} | needs_login
        print(
            f"killed {victim} while it refreshed {len(at_risk)} account(s) and restarted the "
            f"database: {len(lost)} account(s) lost"
        )
        assert lost <= at_risk, "only an answer on its way when its server died may be lost"
        assert all(refreshed[key] >= 1 for key in machines.ids_by_key if key not in lost)
    finally:
        await machines.stop_all()
    for rig in machines.servers:
        assert_no_tokens(rig)
