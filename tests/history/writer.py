"""A separate process writing to the usage history, for the multi-process test.

usage: python writer.py DATABASE NAME COUNT
Records COUNT observations of account NAME, one transaction each, then prints "done".
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from multicodex.history import HistoryDatabase, Observation


def main(path: str, name: str, count: int) -> None:
    database = HistoryDatabase(Path(path), time.time)
    for index in range(count):
        row = Observation(
            at=time.time(),
            account=name,
            bucket="codex",
            window="5h",
            window_seconds=18000,
            used_percent=float(index),
            resets_at=None,
            source="headers",
        )
        if not database.add([row]):
            raise SystemExit(f"write {index} was lost")
    print("done")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
