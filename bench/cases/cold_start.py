"""Cold start: process start → ``initialize`` answered, for ``multicodex serve`` and for a
bare pygls server (``bench/bare_server.py``) on the same interpreter; runs alternate.

The server answers ``initialize`` before it loads the application (HTTP client, pool,
store), which it builds on ``initialized``; so the table also shows, for information,
process start → the first MultiCodex request (``multicodex/status/get``) answered.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.context import Context
from bench.stats import Row, median, p99
from rpcclient import SERVE, RpcClient, server_env

NAME = "cold_start"
RUNS = 20
TARGET_RATIO = 1.2
BARE_SERVER = Path(__file__).resolve().parent.parent / "bare_server.py"
BARE_COMMAND = (str(BARE_SERVER),)


async def startup_ms(
    root: Path,
    command: tuple[str, ...],
    *,
    multicodex: bool,
    package_root: Path | None = None,
) -> tuple[float, float | None]:
    """(ms to initialize answered, ms to the first MultiCodex request answered)."""
    extra = {"PYTHONPATH": str(package_root)} if package_root is not None else None
    client = await RpcClient.start(server_env(root, extra), command=command)
    try:
        await client.initialize({"home": str(root / "store")} if multicodex else None)
        initialized = (time.perf_counter() - client.started) * 1000
        if not multicodex:
            return initialized, None
        await client.request("multicodex/status/get", {})
        return initialized, (time.perf_counter() - client.started) * 1000
    finally:
        await client.stop()


async def run(ctx: Context) -> list[Row]:
    runs = ctx.runs(RUNS, minimum=5)
    root = ctx.directory(NAME)
    samples: dict[str, list[tuple[float, float | None]]] = {"server": [], "bare": []}
    if ctx.before is not None:
        samples["server (before)"] = []
    await startup_ms(root, SERVE, multicodex=True)  # warm the page cache
    await startup_ms(root, BARE_COMMAND, multicodex=False)
    for _ in range(runs):
        samples["server"].append(await startup_ms(root, SERVE, multicodex=True))
        samples["bare"].append(await startup_ms(root, BARE_COMMAND, multicodex=False))
        if ctx.before is not None:
            samples["server (before)"].append(
                await startup_ms(root, SERVE, multicodex=True, package_root=ctx.before)
            )
    bare = [first for first, _ in samples.pop("bare")]
    rows = []
    for label, values in samples.items():
        name = NAME if label == "server" else f"{NAME} [{label}]"
        initialize = [first for first, _ in values]
        rows.append(_row(name, "spawn -> initialize answered", initialize, bare, True))
        first_request = [second for _, second in values if second is not None]
        rows.append(
            _row(name, "spawn -> first multicodex/ request answered", first_request, bare, False)
        )
    return rows


def _row(name: str, metric: str, values: list[float], bare: list[float], judged: bool) -> Row:
    ratio = median(values) / median(bare)
    return Row(
        benchmark=name,
        metric=metric,
        unit="ms",
        n=len(values),
        median=median(values),
        p99=p99(values),
        baseline="bare pygls server: spawn -> initialize answered",
        baseline_median=median(bare),
        baseline_p99=p99(bare),
        comparison="ratio",
        result=ratio,
        target=f"<= {TARGET_RATIO}x" if judged else "(information)",
        met=ratio <= TARGET_RATIO if judged else None,
    )
