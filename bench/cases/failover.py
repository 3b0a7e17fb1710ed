"""Quota failover: account A answers 429 (usage limit reached), B streams. Measured from
the moment the emulator finished A's 429 (its recorded ``finished_at``) to B's first text
delta reaching the client, against a client that does the failover itself: on A's 429 it
sends the same request with B's token straight to the emulator.
"""

from __future__ import annotations

import time
from contextlib import AsyncExitStack
from typing import Any

from bench.context import Context
from bench.emulator_process import EmulatorProcess
from bench.rig import DeltaRecorder, DirectClient, complete, running_server
from bench.stats import Row, median, p99
from rpcclient import RpcClient

NAME = "failover"
RUNS = 40
WARMUP = 3
TARGET_MS = 10.0
TARGET_P99_MS = 20.0
RESPONSES = "/backend-api/codex/responses"


async def run(ctx: Context) -> list[Row]:
    runs = ctx.runs(RUNS, minimum=8)
    with EmulatorProcess(tokens_per_second=0) as emu:
        a_id = emu.add_account("a-failover@example.test", response_deltas=5, cost_percent=0)
        b_id = emu.add_account("b-failover@example.test", response_deltas=5, cost_percent=0)
        a, b = emu.stored_account(a_id), emu.stored_account(b_id)
        direct_a, direct_b = DirectClient(emu, a), DirectClient(emu, b)
        async with AsyncExitStack() as stack:
            stack.push_async_callback(direct_a.aclose)
            stack.push_async_callback(direct_b.aclose)
            servers: dict[str, RpcClient] = {
                "server": await stack.enter_async_context(
                    running_server(emu, ctx.directory(NAME), [a, b], profile=ctx.profile(NAME))
                )
            }
            if ctx.before is not None:
                servers["server (before)"] = await stack.enter_async_context(
                    running_server(
                        emu, ctx.directory(f"{NAME}-before"), [a, b], package_root=ctx.before
                    )
                )
            recorders = {label: DeltaRecorder(client) for label, client in servers.items()}
            samples: dict[str, list[float]] = {label: [] for label in servers}
            direct_ms: list[float] = []
            for index in range(WARMUP + runs):
                for label, client in servers.items():
                    value = await _through_server(emu, client, recorders[label], a, index)
                    if index >= WARMUP:
                        samples[label].append(value)
                value = await _direct(emu, direct_a, direct_b, a_id)
                if index >= WARMUP:
                    direct_ms.append(value)
    return [_row(label, values, direct_ms) for label, values in samples.items()]


async def _through_server(
    emu: EmulatorProcess, client: RpcClient, recorder: DeltaRecorder, a: Any, index: int
) -> float:
    await client.request("multicodex/accounts/reset", {"target": "all"})
    await client.request("multicodex/accounts/use", {"key": a.key})
    emu.script_faults(a.account_id, [{"kind": "stale_usage"}])
    emu.clear_requests()
    trace, result = await complete(client, recorder, f"fo-{index}")
    if result["attempts"] != 2 or result["account"]["key"] == a.key:
        raise RuntimeError(f"expected a switch from A to B, got {result['attempts']} attempts")
    refused = _refusal_finished_at(emu, a.account_id)
    return (trace.wall[0] - refused) * 1000


async def _direct(
    emu: EmulatorProcess, direct_a: DirectClient, direct_b: DirectClient, a_id: str
) -> float:
    """The client's own failover: A's 429, then at once the same request on B."""
    emu.script_faults(a_id, [{"kind": "stale_usage"}])
    emu.clear_requests()
    refused = await direct_a.stream()
    if refused.deltas:
        raise RuntimeError("account A was expected to refuse")
    trace = await direct_b.stream()
    return (trace.wall[0] - _refusal_finished_at(emu, a_id)) * 1000


def _refusal_finished_at(emu: EmulatorProcess, account_id: str) -> float:
    for _ in range(100):
        refusals = [
            r
            for r in emu.requests(RESPONSES)
            if r["account_id"] == account_id and r["status"] == 429
        ]
        if refusals and refusals[-1]["finished_at"] is not None:
            return float(refusals[-1]["finished_at"])
        time.sleep(0.01)
    raise RuntimeError("the emulator recorded no finished 429 for account A")


def _row(label: str, server_ms: list[float], direct_ms: list[float]) -> Row:
    added = median(server_ms) - median(direct_ms)
    return Row(
        benchmark=NAME if label == "server" else f"{NAME} [{label}]",
        metric="A's 429 finished -> B's first text delta at the client",
        unit="ms",
        n=len(server_ms),
        median=median(server_ms),
        p99=p99(server_ms),
        baseline="client's own failover: A's 429, then the request on B, direct",
        baseline_median=median(direct_ms),
        baseline_p99=p99(direct_ms),
        comparison="added",
        result=added,
        target=f"<= {TARGET_MS:g} ms median, <= {TARGET_P99_MS:g} ms p99",
        met=median(server_ms) <= TARGET_MS and p99(server_ms) <= TARGET_P99_MS,
        note=f"added p99 {p99(server_ms) - p99(direct_ms):.1f} ms",
    )
