"""Concurrency: 100 paced streams at once through one server, against 100 direct httpx2
streams at once from the same emulator. Compared: the gaps between consecutive text
deltas of a stream as the client sees them (p99 over every gap of every stream)."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack

import httpx2

from bench.context import Context
from bench.emulator_process import EmulatorProcess
from bench.rig import DeltaRecorder, DirectClient, StreamTrace, complete, running_server
from bench.stats import Row, median, p99
from rpcclient import RpcClient

NAME = "concurrency"
STREAMS = 100
DELTAS = 25
TOKENS_PER_SECOND = 50.0
REPEATS = 5
TARGET_ADDED_P99_MS = 5.0


def gaps_ms(traces: list[StreamTrace]) -> list[float]:
    return [
        (later - earlier) * 1000
        for trace in traces
        for earlier, later in zip(trace.deltas, trace.deltas[1:], strict=False)
    ]


async def burst(client: RpcClient, recorder: DeltaRecorder, streams: int, tag: str) -> list[float]:
    served = await asyncio.gather(
        *(complete(client, recorder, f"{tag}-{i}") for i in range(streams))
    )
    traces = [trace for trace, _ in served]
    _check(traces)
    return gaps_ms(traces)


async def run(ctx: Context) -> list[Row]:
    streams = ctx.runs(STREAMS, minimum=20)
    repeats = ctx.runs(REPEATS, minimum=1)
    gaps: dict[str, list[list[float]]] = {"server": []}
    direct_gaps: list[list[float]] = []
    with EmulatorProcess(tokens_per_second=TOKENS_PER_SECOND) as emu:
        account_id = emu.add_account(
            "concurrency@example.test", response_deltas=DELTAS, cost_percent=0
        )
        account = emu.stored_account(account_id)
        direct = DirectClient(emu, account)
        direct.http = httpx2.AsyncClient(
            timeout=120.0, limits=httpx2.Limits(max_connections=streams + 10)
        )
        async with AsyncExitStack() as stack:
            stack.push_async_callback(direct.aclose)
            servers: dict[str, RpcClient] = {
                "server": await stack.enter_async_context(
                    running_server(emu, ctx.directory(NAME), [account], profile=ctx.profile(NAME))
                )
            }
            if ctx.before is not None:
                gaps["server (before)"] = []
                servers["server (before)"] = await stack.enter_async_context(
                    running_server(
                        emu, ctx.directory(f"{NAME}-before"), [account], package_root=ctx.before
                    )
                )
            recorders = {label: DeltaRecorder(client) for label, client in servers.items()}
            for label, client in servers.items():
                await complete(client, recorders[label], "warmup")
            await direct.stream()
            for repeat in range(repeats):
                for label, client in servers.items():
                    gaps[label].append(await burst(client, recorders[label], streams, f"r{repeat}"))
                traces = await asyncio.gather(*(direct.stream() for _ in range(streams)))
                _check(list(traces))
                direct_gaps.append(gaps_ms(list(traces)))
    return [_row(label, streams, values, direct_gaps) for label, values in gaps.items()]


def _check(traces: list[StreamTrace]) -> None:
    for trace in traces:
        if len(trace.deltas) != DELTAS:
            raise RuntimeError(f"a stream had {len(trace.deltas)} deltas, expected {DELTAS}")


def _row(label: str, streams: int, server: list[list[float]], direct: list[list[float]]) -> Row:
    """Per burst, the p99 gap; the row shows the median burst (bursts are interleaved
    with the direct ones, so each comparison is between neighbours in time)."""
    added = median([p99(s) - p99(d) for s, d in zip(server, direct, strict=True)])
    interval = 1000 / TOKENS_PER_SECOND
    return Row(
        benchmark=NAME if label == "server" else f"{NAME} [{label}]",
        metric=f"inter-delta gap, {streams} streams at once ({interval:g} ms pacing), "
        f"median of {len(server)} bursts",
        unit="ms",
        n=sum(len(s) for s in server),
        median=median([median(s) for s in server]),
        p99=median([p99(s) for s in server]),
        baseline=f"{streams} direct httpx2 streams at once",
        baseline_median=median([median(d) for d in direct]),
        baseline_p99=median([p99(d) for d in direct]),
        comparison="added",
        result=added,
        target=f"<= {TARGET_ADDED_P99_MS:g} ms added (p99)",
        met=added <= TARGET_ADDED_P99_MS,
    )
