"""Two machines on one PostgreSQL store: a change made through one machine's server, the
time until the other machine's server pushes a status showing it (LISTEN/NOTIFY; the
periodic re-check is a minute away, so only the notification can make it in time).

It runs the same rig as the database tests (`tests/postgres`: a throwaway cluster, real
`multicodex serve` processes each with a home and machine id of its own), so it needs
PostgreSQL on this machine or Debian's packages to install it.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.context import Context
from bench.stats import Row, median, p99

NAME = "shared_store"
RUNS = 40
WARMUP = 2
"""Changes before the measured ones: the servers' listeners connect after they start."""
TARGET_P99_MS = 1000.0
RESTING = {"status_refresh_seconds": 60}
TESTS = Path(__file__).resolve().parents[2] / "tests"


async def run(ctx: Context) -> list[Row]:
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))
    from multicodex_emulator import Emulator
    from postgres.cluster import throwaway_cluster
    from postgres.conftest import ROLE, Database
    from postgres.machines import STATUS, Machines

    runs = ctx.runs(RUNS, minimum=10)
    delays: list[float] = []
    emu = Emulator(tokens_per_second=0)
    with throwaway_cluster() as cluster, emu.serve_in_thread() as base_url:
        cluster.psql(f"CREATE ROLE {ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE")
        cluster.psql(f"CREATE DATABASE bench_shared OWNER {ROLE}")
        machines = Machines(emu, base_url, ctx.directory(NAME), Database(cluster, "bench_shared"))
        key = next(iter(machines.seed(2, prefix="shared")))
        laptop, desktop = await machines.start_many(["laptop", "desktop"], **RESTING)
        try:
            for index in range(WARMUP + runs):
                label = f"label-{index}"
                began = time.perf_counter()
                await laptop.client.request(
                    "multicodex/accounts/label", {"key": key, "label": label}
                )
                await desktop.client.notification(
                    STATUS,
                    lambda s, label=label: any(
                        a["key"] == key and a["display_name"] == label for a in s["accounts"]
                    ),
                    within=10,
                )
                if index >= WARMUP:
                    delays.append((time.perf_counter() - began) * 1000)
        finally:
            await machines.stop_all()
    return [
        Row(
            benchmark=NAME,
            metric="a change on one machine -> the other machine's pushed status shows it",
            unit="ms",
            n=len(delays),
            median=median(delays),
            p99=p99(delays),
            baseline="(none: the target is absolute)",
            baseline_median=0.0,
            baseline_p99=0.0,
            comparison="value",
            result=p99(delays),
            target=f"<= {TARGET_P99_MS / 1000:g} s (p99)",
            met=p99(delays) <= TARGET_P99_MS,
            note="the change: accounts/label (a row write and its NOTIFY), then the push",
        )
    ]
