"""Usage polling: K server processes share one store and M accounts; each asks for every
account's usage in the same TTL window (``accounts/list`` with ``refresh_stale``), all at
once. Counted by the emulator: usage fetches, expected M, against the naive KxM."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

from bench.context import Context
from bench.emulator_process import EmulatorProcess
from bench.rig import seed_store, server_options
from bench.stats import Row
from rpcclient import SERVE, RpcClient, server_env

NAME = "usage_polling"
SERVERS = 4
ACCOUNTS = 10


async def run(ctx: Context) -> list[Row]:
    root = ctx.directory(NAME)
    with EmulatorProcess(tokens_per_second=0) as emu:
        ids = [emu.add_account(f"poll{i}@example.test") for i in range(ACCOUNTS)]
        seed_store(root / "store", [emu.stored_account(i) for i in ids])
        async with AsyncExitStack() as stack:
            clients = []
            for number in range(SERVERS):
                home = ctx.directory(f"{NAME}/server-{number}")
                client = await RpcClient.start(server_env(home), command=SERVE)
                stack.push_async_callback(client.stop)
                await client.initialize(server_options(emu, root))
                clients.append(client)
            await asyncio.gather(
                *(
                    c.request("multicodex/accounts/list", {"refresh_stale": True}, within=60)
                    for c in clients
                )
            )
        fetches = sum(emu.counters(i)["usage_fetches"] for i in ids)
    naive = SERVERS * ACCOUNTS
    return [
        Row(
            benchmark=NAME,
            metric=f"usage fetches, {SERVERS} servers x {ACCOUNTS} accounts, one TTL window",
            unit="fetches",
            n=1,
            median=fetches,
            p99=None,
            baseline="naive: every server fetches every account (K x M)",
            baseline_median=naive,
            baseline_p99=None,
            comparison="ratio",
            result=fetches / naive,
            target=f"== {ACCOUNTS} (M)",
            met=fetches == ACCOUNTS,
        )
    ]
