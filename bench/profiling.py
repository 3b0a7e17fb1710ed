"""py-spy attached to a server process for the length of a benchmark (``--profile``)."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SAMPLE_RATE = 500


def _py_spy() -> str | None:
    beside = Path(sys.executable).with_name("py-spy")
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextmanager
def recording(pid: int, output: Path | None) -> Iterator[None]:
    """Sample ``pid`` into ``output`` (collapsed stacks, one line per stack) while inside."""
    tool = _py_spy()
    if output is None or tool is None:
        if output is not None:
            print("py-spy is not installed: no profile recorded", file=sys.stderr)
        yield
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            *(tool, "record", "--pid", str(pid), "--rate", str(SAMPLE_RATE)),
            *("--format", "raw", "--output", str(output), "--nonblocking"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
