"""A usage snapshot as the rows the history keeps: one per window it carries."""

from __future__ import annotations

from dataclasses import dataclass

from multicodex.model import GENERAL_BUCKET, UsageSnapshot, UsageWindow, WindowPair, window_label

_USUAL_SECONDS = {"short": 5 * 3600, "long": 7 * 24 * 3600}


@dataclass(frozen=True)
class Observation:
    """One window of one account's limit, as seen at one moment."""

    at: float
    account: str
    bucket: str
    window: str
    """Named by its length: ``5h``, ``weekly``, ``30-day``."""
    window_seconds: int
    used_percent: float
    resets_at: float | None
    source: str
    """``endpoint`` (wham/usage) or ``headers`` (a completion's x-codex-* headers)."""


def observations_of(account: str, snapshot: UsageSnapshot) -> list[Observation]:
    """Every window the snapshot carries, the general limit's and each bucket's."""
    pairs: list[tuple[str, WindowPair]] = [(GENERAL_BUCKET, snapshot)]
    pairs += sorted(snapshot.buckets.items())
    rows: list[Observation] = []
    for bucket, pair in pairs:
        for slot, window in (("short", pair.five_hour), ("long", pair.weekly)):
            if window is not None:
                rows.append(_row(account, bucket, slot, window, snapshot))
    return rows


def _row(
    account: str, bucket: str, slot: str, window: UsageWindow, snapshot: UsageSnapshot
) -> Observation:
    seconds = window.window_seconds or _USUAL_SECONDS[slot]
    return Observation(
        at=snapshot.fetched_at,
        account=account,
        bucket=bucket,
        window=window_label(seconds),
        window_seconds=seconds,
        used_percent=window.used_percent,
        resets_at=window.resets_at,
        source=snapshot.source,
    )
