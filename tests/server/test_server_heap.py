"""Once `multicodex serve` is up, what it built to start is frozen out of the garbage
collector's full collections (`multicodex.heap`): a full collection afterwards walks only
what was made since, instead of pausing every stream for tens of milliseconds."""

from __future__ import annotations

import json
from pathlib import Path

from support.rpc_client import RpcClient, server_env
from support.unimportable import first_on_pythonpath

REPORTER = """\
import atexit, gc, json, os

def _report():
    with open(os.environ["HEAP_REPORT"], "w") as f:
        json.dump({"frozen": gc.get_freeze_count(), "tracked": len(gc.get_objects())}, f)

atexit.register(_report)
"""


async def test_serve_freezes_what_it_built_to_start(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(REPORTER)
    report = tmp_path / "heap.json"
    path = first_on_pythonpath(site)
    env = server_env(tmp_path, {"PYTHONPATH": path, "HEAP_REPORT": str(report)})
    client = await RpcClient.start(env, tmp_path / "stderr.log")
    try:
        await client.initialize({"home": str(tmp_path / "store")})
        await client.request("multicodex/accounts/list", {})
    finally:
        assert await client.stop() == 0

    heap = json.loads(report.read_text())
    assert heap["frozen"] > 10_000  # the modules, models and application built to start
    assert heap["tracked"] < heap["frozen"] / 2  # a full collection walks the rest only
