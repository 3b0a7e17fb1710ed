"""Relay throughput: text deltas per second reaching one JSON-RPC client from one long
stream, against the same client reading the same frames from a plain pipe.

The emulator's own rate (a direct httpx2 stream of the same answer) is reported too: the
relay cannot be faster than its source, so when the two are close the emulator is what
is measured.
"""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from pathlib import Path

from bench.context import Context
from bench.emulator_process import EmulatorProcess
from bench.rig import DELTA, DeltaRecorder, DirectClient, StreamTrace, complete, running_server
from bench.stats import Row
from rpcclient import RpcClient, Stamp, server_env

NAME = "throughput"
DELTAS = 50_000
REPEATS = 3
TARGET_PER_SECOND = 50_000
TARGET_PIPE_RATIO = 0.6
PIPE_WRITER = Path(__file__).resolve().parent.parent / "pipe_writer.py"


def rate(times: list[float]) -> float:
    if len(times) < 2 or times[-1] <= times[0]:
        return 0.0
    return (len(times) - 1) / (times[-1] - times[0])


async def pipe_rate(count: int, root: Path) -> float:
    arrivals: list[float] = []

    def on_delta(_params: dict[str, object], stamp: Stamp) -> None:
        arrivals.append(stamp[0])

    command = (str(PIPE_WRITER), str(count))
    client = await RpcClient.start(server_env(root), command=command, record=False)
    client.handlers[DELTA] = on_delta
    await asyncio.wait_for(client.closed, 120)
    await client.process.wait()
    return rate(arrivals)


async def run(ctx: Context) -> list[Row]:
    count = ctx.runs(DELTAS, minimum=2_000)
    repeats = ctx.runs(REPEATS, minimum=1)
    rates: dict[str, list[float]] = {}
    direct_rates: list[float] = []
    pipe_rates: list[float] = []
    with EmulatorProcess(tokens_per_second=0) as emu:
        account_id = emu.add_account(
            "throughput@example.test", response_deltas=count, cost_percent=0
        )
        account = emu.stored_account(account_id)
        direct = DirectClient(emu, account)
        async with AsyncExitStack() as stack:
            stack.push_async_callback(direct.aclose)
            servers = {
                "server": await stack.enter_async_context(
                    running_server(emu, ctx.directory(NAME), [account], profile=ctx.profile(NAME))
                )
            }
            if ctx.before is not None:
                servers["server (before)"] = await stack.enter_async_context(
                    running_server(
                        emu, ctx.directory(f"{NAME}-before"), [account], package_root=ctx.before
                    )
                )
            recorders = {label: DeltaRecorder(client) for label, client in servers.items()}
            for index in range(repeats):
                for label, client in servers.items():
                    trace, result = await complete(client, recorders[label], f"tp-{index}")
                    _check(trace, result, count)
                    rates.setdefault(label, []).append(rate(trace.deltas))
                    del recorders[label].traces[f"tp-{index}"]
                direct_rates.append(rate((await direct.stream()).deltas))
                pipe_rates.append(await pipe_rate(count, ctx.directory(NAME)))
    best_pipe = max(pipe_rates)
    best_direct = max(direct_rates)
    rows = []
    for label, values in rates.items():
        best = max(values)
        rows.append(
            Row(
                benchmark=NAME if label == "server" else f"{NAME} [{label}]",
                metric=f"text deltas/s, one {count:,}-delta stream (best of {repeats})",
                unit="deltas/s",
                n=repeats,
                median=best,
                p99=None,
                baseline="same frames through a plain pipe to the same client",
                baseline_median=best_pipe,
                baseline_p99=None,
                comparison="ratio",
                result=best / best_pipe,
                target=f">= {TARGET_PIPE_RATIO:g}x pipe, >= {TARGET_PER_SECOND:,}/s",
                met=best / best_pipe >= TARGET_PIPE_RATIO and best >= TARGET_PER_SECOND,
                note=f"emulator direct (httpx2): {best_direct:,.0f}/s",
            )
        )
    rows.append(
        Row(
            benchmark=f"{NAME} [emulator]",
            metric="text deltas/s straight from the emulator (httpx2)",
            unit="deltas/s",
            n=repeats,
            median=best_direct,
            p99=None,
            baseline="same frames through a plain pipe to the same client",
            baseline_median=best_pipe,
            baseline_p99=None,
            comparison="ratio",
            result=best_direct / best_pipe,
            target="source faster than the relay",
            met=best_direct > max(max(v) for v in rates.values()),
            note="the relay's source: if not faster, the emulator is what is measured",
        )
    )
    return rows


def _check(trace: StreamTrace, result: dict[str, object], count: int) -> None:
    if len(trace.deltas) != count:
        raise RuntimeError(f"expected {count} text deltas, got {len(trace.deltas)}")
    if result.get("deltas") != count + 1:  # the start delta, then the text
        raise RuntimeError(f"result counts {result.get('deltas')} deltas")
