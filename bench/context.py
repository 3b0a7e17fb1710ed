"""What every benchmark case receives: a scratch directory and the run's scale."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Context:
    root: Path
    scale: float = 1.0
    """1.0 for the documented run; smaller for a quick look (fewer runs, same shape)."""
    profile_dir: Path | None = None
    """When set, cases that drive the server record a py-spy profile of it here."""
    before: Path | None = None
    """A directory holding another ``multicodex`` package (e.g. ``git archive`` of an
    older commit): cases that support it also run a server from it, interleaved with the
    current one, so a change is measured before/after in the same run."""

    def runs(self, count: int, minimum: int = 5) -> int:
        return max(minimum, math.ceil(count * self.scale))

    def directory(self, name: str) -> Path:
        path = self.root / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def profile(self, name: str) -> Path | None:
        return self.profile_dir / f"{name}.txt" if self.profile_dir is not None else None
