"""Time to first delta: the same request through ``multicodex serve`` (stdio JSON-RPC
client → server process → emulator) and as a direct httpx2 stream from the emulator.

Both start with a warm connection and end when the first text delta reaches the client;
runs alternate between the two so that machine noise hits both alike.
"""

from __future__ import annotations

from contextlib import AsyncExitStack

from bench.context import Context
from bench.emulator_process import EmulatorProcess
from bench.rig import DeltaRecorder, DirectClient, complete, running_server
from bench.stats import Row, floor_row, median, p99
from rpcclient import RpcClient

NAME = "ttfd"
RUNS = 200
WARMUP = 10
DELTAS = 5
TARGET_ADDED_MS = 0.5


async def run(ctx: Context) -> list[Row]:
    runs = ctx.runs(RUNS, minimum=20)
    with EmulatorProcess(tokens_per_second=0) as emu:
        account_id = emu.add_account("ttfd@example.test", response_deltas=DELTAS, cost_percent=0)
        account = emu.stored_account(account_id)
        direct = DirectClient(emu, account)
        async with AsyncExitStack() as stack:
            stack.push_async_callback(direct.aclose)
            servers: dict[str, RpcClient] = {
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
            samples: dict[str, list[float]] = {label: [] for label in servers}
            direct_ms: list[float] = []
            round_trip_ms: list[float] = []
            for index in range(WARMUP + runs):
                for label, client in servers.items():
                    trace, _ = await complete(client, recorders[label], f"ttfd-{index}")
                    if index >= WARMUP:
                        samples[label].append((trace.deltas[0] - trace.sent) * 1000)
                round_trip = await _round_trip_ms(servers["server"])
                if index >= WARMUP:
                    round_trip_ms.append(round_trip)
                straight = await direct.stream()
                if index >= WARMUP:
                    direct_ms.append((straight.deltas[0] - straight.sent) * 1000)
    rows = [_row(label, values, direct_ms) for label, values in samples.items()]
    rows.append(
        floor_row(
            f"{NAME} [stdio floor]",
            "JSON-RPC round trip of multicodex/rotation/get (no upstream)",
            round_trip_ms,
            "the stdio hops",
        )
    )
    return rows


async def _round_trip_ms(client: RpcClient) -> float:
    msg_id = await client.send_request("multicodex/rotation/get", {})
    reply = await client.reply(msg_id)
    return (reply.arrived[0] - client.sent_at(msg_id)) * 1000


def _row(label: str, server_ms: list[float], direct_ms: list[float]) -> Row:
    added = median(server_ms) - median(direct_ms)
    return Row(
        benchmark=NAME if label == "server" else f"{NAME} [{label}]",
        metric="time to first text delta",
        unit="ms",
        n=len(server_ms),
        median=median(server_ms),
        p99=p99(server_ms),
        baseline="direct httpx2 stream from the emulator",
        baseline_median=median(direct_ms),
        baseline_p99=p99(direct_ms),
        comparison="added",
        result=added,
        target=f"<= {TARGET_ADDED_MS} ms added (median)",
        met=added <= TARGET_ADDED_MS,
        note=f"p99 added {p99(server_ms) - p99(direct_ms):.2f} ms",
    )
