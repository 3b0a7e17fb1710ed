"""Resident memory of a process, from /proc (Linux)."""

from __future__ import annotations

import asyncio
from pathlib import Path

SETTLED_POLL_SECONDS = 0.25
SETTLED_MAX_SECONDS = 10.0


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


async def settled_rss_mib(pid: int, at_least: float) -> float:
    """RSS once the process stopped growing: after ``at_least`` seconds, the first reading
    equal to the one before it (polled every 0.25 s, at most 10 s). A server still
    loading what it loads after ``initialized`` would otherwise be measured half-built,
    and how far it got depends on the machine's load."""
    await asyncio.sleep(at_least)
    previous = rss_mib(pid)
    for _ in range(int(SETTLED_MAX_SECONDS / SETTLED_POLL_SECONDS)):
        await asyncio.sleep(SETTLED_POLL_SECONDS)
        current = rss_mib(pid)
        if current == previous:
            return current
        previous = current
    return previous
