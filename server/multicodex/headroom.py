"""How much room an account's windows leave as of now, read the same way by selection,
the account views and the footer.

Pure: ``now`` is always a parameter. A window whose reset time has passed counts as 0 %
used (the quota came back even if the snapshot has not been refreshed yet); a window at
100 % as of now is at its limit until that reset.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from multicodex.model import StoredAccount, UsageSnapshot, UsageWindow, window_label

WindowSlot = Literal["short", "long"]
"""Which of a limit's two windows: the one up to a day long, or the longer one."""
USUAL_LENGTH: dict[WindowSlot, int] = {"short": 5 * 3600, "long": 7 * 24 * 3600}
"""What a window of a slot is called when its length is not known."""


class HasWindows(Protocol):
    """A usage snapshot as stored or as the protocol shows it."""

    @property
    def five_hour(self) -> UsageWindow | None: ...

    @property
    def weekly(self) -> UsageWindow | None: ...


@dataclass(frozen=True)
class NamedWindow:
    slot: WindowSlot
    window: UsageWindow | None

    @property
    def name(self) -> str:
        """The window named by its length, in every view: ``5h``, ``weekly``, ``30-day``."""
        seconds = self.window.window_seconds if self.window is not None else None
        return window_label(seconds or USUAL_LENGTH[self.slot])


@dataclass(frozen=True)
class Wait:
    """An account that cannot serve until a moment; ``until`` None when that is unknown."""

    until: float | None


def used_now(window: UsageWindow | None, now: float) -> float | None:
    """The window's used percent as of ``now`` (0..100); None when unknown."""
    if window is None or not math.isfinite(window.used_percent):
        return None
    if window.resets_at is not None and window.resets_at <= now:
        return 0.0
    return min(100.0, max(0.0, window.used_percent))


def upcoming_reset(window: UsageWindow | None, now: float) -> float | None:
    """The window's reset, only while it is still ahead (a past one says nothing)."""
    if window is None or window.resets_at is None or window.resets_at <= now:
        return None
    return window.resets_at


def named_windows(usage: HasWindows | None) -> list[NamedWindow]:
    """Both windows, short first (None where unknown)."""
    return [
        NamedWindow("short", usage.five_hour if usage is not None else None),
        NamedWindow("long", usage.weekly if usage is not None else None),
    ]


def limit_of(usage: UsageSnapshot | None, now: float) -> Wait | None:
    """None unless a window is at 100 % as of now; then until the last such window resets."""
    full = [w.window for w in named_windows(usage) if (used_now(w.window, now) or 0.0) >= 100]
    if not full:
        return None
    resets = [upcoming_reset(window, now) for window in full]
    known = [r for r in resets if r is not None]
    return Wait(max(known) if len(known) == len(resets) else None)


def cooldown_of(account: StoredAccount, now: float) -> float | None:
    """The end of a cooldown still running, else None."""
    until = account.cooldown_until
    return until if until is not None and until > now else None


def wait_of(account: StoredAccount, now: float) -> Wait | None:
    """Why an account that needs no new login cannot serve now: a cooldown or a window at
    its limit, until the later of the two ends (the known one when only one is known)."""
    cooldown = cooldown_of(account, now)
    limit = limit_of(account.usage, now)
    if cooldown is None and limit is None:
        return None
    ends = [t for t in (cooldown, limit.until if limit is not None else None) if t is not None]
    return Wait(max(ends) if ends else None)


def binding_window(usage: UsageSnapshot | None, now: float) -> NamedWindow | None:
    """The window closest to running out: the most used as of now, the earlier reset on a
    tie (an unknown reset counts as never), the short window on a full tie. None when no
    window's use is known."""
    known = [w for w in named_windows(usage) if used_now(w.window, now) is not None]
    if not known:
        return None
    return min(known, key=lambda w: _closeness(w, now))


def _closeness(named: NamedWindow, now: float) -> tuple[float, float]:
    used = used_now(named.window, now) or 0.0
    reset = upcoming_reset(named.window, now)
    return (-used, math.inf if reset is None else reset)


def earliest(waits: Sequence[Wait]) -> float | None:
    """The first known moment one of the waiting accounts can serve again."""
    known = [w.until for w in waits if w.until is not None]
    return min(known) if known else None
