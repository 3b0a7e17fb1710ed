"""A package made unimportable for a child process, as if it were not installed.

Put ``Unimportable.pythonpath`` first on the child's PYTHONPATH: importing the package
then raises exactly what Python raises for a missing one, and leaves a trace file saying
that something tried, so a test can tell "never imported" from "imported and failed".
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_SHADOW = """\
import pathlib
import traceback

pathlib.Path({trace!r}).write_text("".join(traceback.format_stack()))
raise ModuleNotFoundError("No module named {name!r}", name={name!r})
"""


@dataclass(frozen=True)
class Unimportable:
    name: str
    pythonpath: Path
    trace: Path

    @classmethod
    def create(cls, root: Path, name: str) -> Unimportable:
        pythonpath = root / f"without-{name}"
        package = pythonpath / name
        package.mkdir(parents=True)
        trace = root / f"{name}-import-attempt.txt"
        (package / "__init__.py").write_text(_SHADOW.format(trace=str(trace), name=name))
        return cls(name=name, pythonpath=pythonpath, trace=trace)

    def attempted(self) -> bool:
        return self.trace.exists()

    def where_attempted(self) -> str:
        return self.trace.read_text() if self.attempted() else ""

    @property
    def first_on_path(self) -> str:
        """A child's PYTHONPATH with this shadow first, then this process's own."""
        return first_on_pythonpath(self.pythonpath)


def first_on_pythonpath(directory: Path) -> str:
    """A child's PYTHONPATH that finds ``directory`` before what this process finds."""
    inherited = os.environ.get("PYTHONPATH")
    return f"{directory}{os.pathsep}{inherited}" if inherited else str(directory)
