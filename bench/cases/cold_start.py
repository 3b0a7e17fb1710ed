"""Cold start: process start → ``initialize`` answered, for ``multicodex serve`` and for a
bare pygls server (``bench/bare_server.py``) on the same interpreter. Runs alternate.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench.context import Context
from bench.rpc import SERVER_COMMAND, RpcClient, server_env
from bench.stats import Row, median, p99

NAME = "cold_start"
RUNS = 20
TARGET_RATIO = 1.2
BARE_SERVER = Path(__file__).resolve().parent.parent / "bare_server.py"


async def time_to_initialize(root: Path, command: tuple[str, ...], options: bool) -> float:
    client = await RpcClient.start(server_env(root), command=command)
    try:
        params = {"home": str(root / "store")} if options else None
        await client.initialize(params)
        return (time.perf_counter() - client.started) * 1000
    finally:
        await client.stop()


async def run(ctx: Context) -> list[Row]:
    runs = ctx.runs(RUNS, minimum=5)
    root = ctx.directory(NAME)
    server_ms: list[float] = []
    bare_ms: list[float] = []
    await time_to_initialize(root, SERVER_COMMAND, True)  # compile caches, warm page cache
    await time_to_initialize(root, (str(BARE_SERVER),), False)
    for _ in range(runs):
        server_ms.append(await time_to_initialize(root, SERVER_COMMAND, True))
        bare_ms.append(await time_to_initialize(root, (str(BARE_SERVER),), False))
    ratio = median(server_ms) / median(bare_ms)
    return [
        Row(
            benchmark=NAME,
            metric="spawn -> initialize answered",
            unit="ms",
            n=runs,
            median=median(server_ms),
            p99=p99(server_ms),
            baseline="bare pygls server (bench/bare_server.py)",
            baseline_median=median(bare_ms),
            baseline_p99=p99(bare_ms),
            comparison="ratio",
            result=ratio,
            target=f"<= {TARGET_RATIO}x",
            met=ratio <= TARGET_RATIO,
        )
    ]
