"""`multicodex emulator`: placeholder until the emulator server lands."""

from __future__ import annotations

import argparse


def run_from_cli(args: argparse.Namespace) -> int:
    raise SystemExit("multicodex emulator: not available yet")
