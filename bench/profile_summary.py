"""Summarise a py-spy raw (collapsed) profile: where the samples are, inclusive and self.

``python -m bench.profile_summary FILE [--top N] [--under SUBSTRING]``
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path


def _frames(stack: str) -> list[str]:
    return [frame.split(" (")[0] + " " + _where(frame) for frame in stack.split(";")]


def _where(frame: str) -> str:
    inside = frame[frame.find("(") + 1 : frame.rfind(")")] if "(" in frame else ""
    path, _, _line = inside.rpartition(":")
    short = "/".join(path.split("/")[-2:])
    return f"({short})" if short else ""


def summarise(path: Path, top: int, under: str | None) -> str:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for raw in path.read_text().splitlines():
        stack, _, count_text = raw.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        if under is not None and under not in stack:
            continue
        count = int(count_text)
        total += count
        frames = _frames(stack)
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    lines = [f"{total} samples" + (f" under {under!r}" if under else "")]
    lines.append("-- inclusive --")
    lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in inclusive.most_common(top)]
    lines.append("-- self --")
    lines += [f"{100 * n / total:5.1f}%  {name}" for name, n in own.most_common(top)]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--under", default=None, help="only stacks containing this text")
    args = parser.parse_args()
    print(summarise(args.file, args.top, args.under))


if __name__ == "__main__":
    main()
