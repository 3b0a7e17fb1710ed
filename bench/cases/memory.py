"""Memory: resident set of ``multicodex serve`` when idle after ``initialized``, against
the bare pygls server; and with 1,000 accounts in the store, settled after ``initialized``
and again after ``accounts/list`` (the larger of the two).

Both loaded readings wait for the server to stop growing, as the idle one does: read 0.5 s
after an ``accounts/list`` sent at once after ``initialize``, the figure depended on when
the listing came (it cut short the growth of the start), +19.7-20.3 MiB against +25 MiB
for the same server left alone."""

from __future__ import annotations

import time
from pathlib import Path

from bench.cases.cold_start import BARE_COMMAND
from bench.context import Context
from bench.memory_probe import settled_rss_mib
from bench.rig import seed_store
from bench.stats import Row
from multicodex.model import StoredAccount, TokenSet, UsageSnapshot, UsageWindow
from rpcclient import SERVE, RpcClient, server_env

NAME = "memory"
ACCOUNTS = 1_000
SETTLE_SECONDS = 0.5
IDLE_TARGET_RATIO = 1.3
LOADED_TARGET_ADDED_MIB = 20.0


def fake_accounts(count: int) -> list[StoredAccount]:
    """Store entries with token-sized strings and fresh usage, as a pool looks in steady
    state: nothing needs fetching, so nothing is sent anywhere."""
    now = time.time()
    usage = UsageSnapshot(
        plan_type="plus",
        five_hour=UsageWindow(used_percent=12.0, window_seconds=18000, resets_at=now + 3600),
        weekly=UsageWindow(used_percent=34.0, window_seconds=604800, resets_at=now + 86400),
        fetched_at=now,
    )
    return [
        StoredAccount(
            key=f"user{i:04d}@example.test|acct-{i:04d}",
            email=f"user{i:04d}@example.test",
            account_id=f"acct-{i:04d}",
            plan="plus",
            tokens=TokenSet(
                access_token="a" * 1200 + f"{i:04d}",
                refresh_token="r" * 60 + f"{i:04d}",
                id_token="i" * 1400 + f"{i:04d}",
                expires_at=now + 86400,
            ),
            usage=usage,
            added_at=now,
        )
        for i in range(count)
    ]


async def idle_rss(root: Path, command: tuple[str, ...], options: dict[str, str] | None) -> float:
    client = await RpcClient.start(server_env(root), command=command)
    try:
        await client.initialize(options)
        return await settled_rss_mib(client.process.pid, SETTLE_SECONDS)
    finally:
        await client.stop()


async def loaded_rss(root: Path, count: int) -> tuple[float, int]:
    """The larger settled RSS of a server with ``count`` accounts: idle after
    ``initialized``, then after ``accounts/list``; and how many accounts it listed."""
    seed_store(root / "store", fake_accounts(count))
    options = {"home": str(root / "store"), "auth_url": "http://127.0.0.1:9"}
    options["backend_url"] = "http://127.0.0.1:9/backend-api"
    client = await RpcClient.start(server_env(root), command=SERVE)
    try:
        await client.initialize(options)
        started = await settled_rss_mib(client.process.pid, SETTLE_SECONDS)
        listing = await client.request("multicodex/accounts/list", {})
        listed = await settled_rss_mib(client.process.pid, SETTLE_SECONDS)
        return max(started, listed), len(listing["accounts"])
    finally:
        await client.stop()


async def run(ctx: Context) -> list[Row]:
    count = ctx.runs(ACCOUNTS, minimum=100)
    idle_root = ctx.directory(f"{NAME}-idle")
    server = await idle_rss(idle_root, SERVE, {"home": str(idle_root / "store")})
    bare = await idle_rss(idle_root, BARE_COMMAND, None)
    loaded, listed = await loaded_rss(ctx.directory(f"{NAME}-loaded"), count)
    if listed != count:
        raise RuntimeError(f"accounts/list returned {listed} accounts, expected {count}")
    return [
        _row("idle RSS after initialized", server, bare, IDLE_TARGET_RATIO, ""),
        _loaded_row(count, loaded, server),
    ]


def _loaded_row(count: int, loaded: float, idle: float) -> Row:
    added = loaded - idle
    return Row(
        benchmark=NAME,
        metric=f"RSS with {count:,} accounts, settled, and after accounts/list",
        unit="MiB",
        n=1,
        median=loaded,
        p99=None,
        baseline="the same server, idle",
        baseline_median=idle,
        baseline_p99=None,
        comparison="added",
        result=added,
        target=f"<= +{LOADED_TARGET_ADDED_MIB:g} MiB",
        met=added <= LOADED_TARGET_ADDED_MIB,
        note=f"{added * 1024 / count:.1f} KiB per account over idle",
    )


def _row(metric: str, value: float, bare: float, target: float, note: str) -> Row:
    ratio = value / bare
    return Row(
        benchmark=NAME,
        metric=metric,
        unit="MiB",
        n=1,
        median=value,
        p99=None,
        baseline="bare pygls server, idle",
        baseline_median=bare,
        baseline_p99=None,
        comparison="ratio",
        result=ratio,
        target=f"<= {target:g}x",
        met=ratio <= target,
        note=note,
    )
