"""``python -m bench``: run every benchmark, print the table, write results JSON."""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.context import Context
from bench.stats import Report, Row, render_table

CASES = (
    "ttfd",
    "throughput",
    "failover",
    "cold_start",
    "memory",
    "concurrency",
    "selection",
    "usage_polling",
    "refresh_durable",
    "proxy_ttfb",
    "contract_ttfd",
    "shared_store",
)
RESULTS = Path(__file__).resolve().parent / "results"


def settle_heap() -> None:
    """What `multicodex.heap` does for the servers, for the measuring client: its own full
    collections (tens of milliseconds) are no pauses to time. (Not imported from there, so
    that an older package on PYTHONPATH can be measured.)"""
    gc.collect()
    gc.freeze()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("cases", nargs="*", choices=[[], *CASES], help="default: all")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the documented run counts"
    )
    parser.add_argument(
        "--output", type=Path, default=RESULTS / "latest.json", help="where the JSON goes"
    )
    parser.add_argument(
        "--profile", type=Path, default=None, help="record py-spy profiles of the server here"
    )
    parser.add_argument(
        "--before",
        type=Path,
        default=None,
        help="directory holding an older multicodex package: ttfd, throughput and failover "
        "also run a server from it, interleaved (before/after in one run)",
    )
    args = parser.parse_args(argv)
    names = args.cases or list(CASES)
    started = time.time()
    rows: list[Row] = []
    errors: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="multicodex-bench-") as scratch:
        ctx = Context(Path(scratch), scale=args.scale, profile_dir=args.profile, before=args.before)
        for name in names:
            print(f"==> {name}", file=sys.stderr, flush=True)
            module = importlib.import_module(f"bench.cases.{name}")
            case_started = time.perf_counter()
            settle_heap()
            try:
                rows.extend(asyncio.run(module.run(ctx)))
            except Exception as exc:
                errors[name] = f"{type(exc).__name__}: {exc}"
                traceback.print_exc()
            print(f"    {time.perf_counter() - case_started:.1f} s", file=sys.stderr, flush=True)
    report = Report(
        started_at=started,
        seconds=time.time() - started,
        python=sys.version.split()[0],
        machine=platform.platform(),
        cpus=os.cpu_count() or 0,
        rows=rows,
        errors=errors,
    )
    print(render_table(rows))
    for name, error in errors.items():
        print(f"{name}: FAILED: {error}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(report.model_dump_json(indent=2) + "\n")
    print(f"total {report.seconds:.0f} s; results in {args.output}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
