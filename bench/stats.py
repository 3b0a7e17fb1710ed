"""Summaries of timing samples and the rows of the results table."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel

Comparison = Literal["added", "ratio", "value"]


def median(samples: Sequence[float]) -> float:
    return float(statistics.median(samples)) if samples else math.nan


def p99(samples: Sequence[float]) -> float:
    """The 99th percentile (nearest rank): with fewer than 100 samples, the largest."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(0.99 * len(ordered)))
    return float(ordered[rank - 1])


class Row(BaseModel):
    """One line of the table: a measurement, its same-run baseline and the comparison.

    ``comparison`` says how ``result`` is computed: ``added`` = measured - baseline (same
    unit), ``ratio`` = measured / baseline, ``value`` = the measured figure itself (for
    counts, where the baseline is a computed reference such as KxM).
    """

    benchmark: str
    metric: str
    unit: str
    n: int
    median: float
    p99: float | None
    baseline: str
    baseline_median: float
    baseline_p99: float | None
    comparison: Comparison
    result: float
    target: str
    met: bool | None
    note: str = ""


def floor_row(benchmark: str, metric: str, samples_ms: Sequence[float], pays_for: str) -> Row:
    """An information row: what any request pays for ``pays_for`` (ms), with no
    baseline."""
    return Row(
        benchmark=benchmark,
        metric=metric,
        unit="ms",
        n=len(samples_ms),
        median=median(samples_ms),
        p99=p99(samples_ms),
        baseline=f"(none: what any request pays for {pays_for})",
        baseline_median=0.0,
        baseline_p99=0.0,
        comparison="added",
        result=median(samples_ms),
        target="(information)",
        met=None,
    )


class Report(BaseModel):
    started_at: float
    seconds: float
    python: str
    machine: str
    cpus: int
    rows: list[Row]
    errors: dict[str, str]


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def render_table(rows: Sequence[Row]) -> str:
    headers = (
        "benchmark",
        "metric",
        "unit",
        "n",
        "median",
        "p99",
        "baseline med",
        "baseline p99",
        "result",
        "target",
        "met?",
    )
    lines = [
        (
            r.benchmark,
            r.metric,
            r.unit,
            str(r.n),
            _fmt(r.median),
            _fmt(r.p99),
            _fmt(r.baseline_median),
            _fmt(r.baseline_p99),
            _fmt(r.result) + ("x" if r.comparison == "ratio" else ""),
            r.target,
            {True: "yes", False: "NO", None: "-"}[r.met],
        )
        for r in rows
    ]
    widths = [max([len(h), *(len(line[i]) for line in lines)]) for i, h in enumerate(headers)]
    numeric = {3, 4, 5, 6, 7, 8}

    def cell(i: int, text: str) -> str:
        return text.rjust(widths[i]) if i in numeric else text.ljust(widths[i])

    out = [" | ".join(cell(i, h) for i, h in enumerate(headers))]
    out.append("-+-".join("-" * w for w in widths))
    out.extend(" | ".join(cell(i, text) for i, text in enumerate(line)) for line in lines)
    return "\n".join(out)
