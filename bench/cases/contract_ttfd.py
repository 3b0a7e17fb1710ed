"""A chat-model request as the VS Code extension's client makes it (vscode-jsonrpc in
Node, under vscode-languageclient and the contract tests), against the same request from
the Python client every other benchmark uses: time to the first text delta, each client on
a `multicodex serve` of its own over the same emulator account, in alternating blocks.

What is left out: VS Code itself (the extension host's Language Model API hand-over to a
chat view), which no test here can drive without a window; the extension's own provider
code adds a callback per delta on top of what is measured here.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path

from bench.context import Context
from bench.emulator_process import EmulatorProcess
from bench.rig import MODEL, PROMPT, DeltaRecorder, complete, running_server, seed_store
from bench.stats import Row, median, p99
from rpcclient import server_env

NAME = "contract_ttfd"
BLOCKS = 5
RUNS_PER_BLOCK = 40
WARMUP = 10
DELTAS = 5
TARGET_ADDED_MS = 1.0
SCRIPT = Path(__file__).resolve().parent.parent / "contract_client.mjs"
CLIENT_PACKAGE = SCRIPT.parent.parent / "editor-client" / "node_modules" / "vscode-jsonrpc"


async def run(ctx: Context) -> list[Row]:
    node = shutil.which("node")
    if node is None:
        raise RuntimeError("node is not installed: the extension's client cannot run")
    if not CLIENT_PACKAGE.is_dir():
        raise RuntimeError(
            "editor-client's npm packages are not installed: run `npm ci --prefix "
            "editor-client` (bash bench/run does)"
        )
    runs = ctx.runs(RUNS_PER_BLOCK, minimum=10)
    python_ms: list[float] = []
    node_ms: list[float] = []
    with EmulatorProcess(tokens_per_second=0) as emu:
        account_id = emu.add_account(
            "contract@example.test", response_deltas=DELTAS, cost_percent=0
        )
        account = emu.stored_account(account_id)
        async with running_server(emu, ctx.directory(NAME), [account]) as client:
            recorder = DeltaRecorder(client)
            for index in range(WARMUP):
                await complete(client, recorder, f"warm-{index}")
            for block in range(BLOCKS):
                for index in range(runs):
                    trace, _ = await complete(client, recorder, f"py-{block}-{index}")
                    python_ms.append((trace.deltas[0] - trace.sent) * 1000)
                root = ctx.directory(f"{NAME}-node-{block}")
                seed_store(root / "store", [account])
                node_ms += await _node_block(node, emu, root, runs)
    added = median(node_ms) - median(python_ms)
    return [
        Row(
            benchmark=NAME,
            metric="complete -> first text delta, extension's client (vscode-jsonrpc, Node)",
            unit="ms",
            n=len(node_ms),
            median=median(node_ms),
            p99=p99(node_ms),
            baseline="the same request from the Python client (rpcclient), its own server",
            baseline_median=median(python_ms),
            baseline_p99=p99(python_ms),
            comparison="added",
            result=added,
            target=f"<= {TARGET_ADDED_MS:g} ms added (median)",
            met=added <= TARGET_ADDED_MS,
            note=f"p99 added {p99(node_ms) - p99(python_ms):.2f} ms; {BLOCKS} blocks each",
        )
    ]


async def _node_block(node: str, emu: EmulatorProcess, root: Path, runs: int) -> list[float]:
    config = {
        "python": sys.executable,
        "env": server_env(root),
        "options": {
            "home": str(root / "store"),
            "auth_url": emu.base_url,
            "backend_url": f"{emu.base_url}/backend-api",
        },
        "runs": runs,
        "warmup": WARMUP,
        "model": MODEL,
        "prompt": PROMPT,
    }
    process = await asyncio.create_subprocess_exec(
        node, str(SCRIPT), json.dumps(config), stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    if process.returncode != 0:
        raise RuntimeError(f"the Node client failed ({process.returncode})")
    samples: list[float] = json.loads(out.decode().strip().splitlines()[-1])["ms"]
    return samples
