"""Concurrency: 100 paced streams at once through one server, against 100 direct httpx2
streams at once from the same emulator. Compared: the gaps between consecutive text
deltas of a stream as the client sees them (p99 over every gap of every stream)."""

from __future__ import annotations

import asyncio

import httpx2

from bench.context import Context
from bench.emulator_process import EmulatorProcess
from bench.rig import DeltaRecorder, DirectClient, StreamTrace, complete, running_server
from bench.stats import Row, median, p99

NAME = "concurrency"
STREAMS = 100
DELTAS = 25
TOKENS_PER_SECOND = 50.0
TARGET_ADDED_P99_MS = 10.0


def gaps_ms(traces: list[StreamTrace]) -> list[float]:
    return [
        (later - earlier) * 1000
        for trace in traces
        for earlier, later in zip(trace.deltas, trace.deltas[1:], strict=False)
    ]


async def run(ctx: Context) -> list[Row]:
    streams = ctx.runs(STREAMS, minimum=20)
    with EmulatorProcess(tokens_per_second=TOKENS_PER_SECOND) as emu:
        account_id = emu.add_account(
            "concurrency@example.test", response_deltas=DELTAS, cost_percent=0
        )
        account = emu.stored_account(account_id)
        direct = DirectClient(emu, account)
        direct.http = httpx2.AsyncClient(
            timeout=120.0, limits=httpx2.Limits(max_connections=streams + 10)
        )
        try:
            async with running_server(
                emu, ctx.directory(NAME), [account], profile=ctx.profile(NAME)
            ) as client:
                recorder = DeltaRecorder(client)
                await complete(client, recorder, "warmup")
                served = await asyncio.gather(
                    *(complete(client, recorder, f"c-{i}") for i in range(streams))
                )
                traces = [trace for trace, _ in served]
            await direct.stream()
            direct_traces = await asyncio.gather(*(direct.stream() for _ in range(streams)))
        finally:
            await direct.aclose()
    for trace in [*traces, *direct_traces]:
        if len(trace.deltas) != DELTAS:
            raise RuntimeError(f"a stream had {len(trace.deltas)} deltas, expected {DELTAS}")
    server_gaps, direct_gaps = gaps_ms(traces), gaps_ms(direct_traces)
    added = p99(server_gaps) - p99(direct_gaps)
    interval = 1000 / TOKENS_PER_SECOND
    return [
        Row(
            benchmark=NAME,
            metric=f"inter-delta gap, {streams} streams at once ({interval:g} ms pacing)",
            unit="ms",
            n=len(server_gaps),
            median=median(server_gaps),
            p99=p99(server_gaps),
            baseline=f"{streams} direct httpx2 streams at once",
            baseline_median=median(direct_gaps),
            baseline_p99=p99(direct_gaps),
            comparison="added",
            result=added,
            target=f"<= {TARGET_ADDED_P99_MS:g} ms added (p99)",
            met=added <= TARGET_ADDED_P99_MS,
        )
    ]
