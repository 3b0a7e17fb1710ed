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

from multicodex.model import (
    GENERAL_BUCKET,
    StoredAccount,
    UsageSnapshot,
    UsageWindow,
    bucket_label,
    window_label,
)
from multicodex.timefmt import clock_time, round_half_up

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


# -- the binding limit and the pool's headroom -----------------------------------------------


@dataclass(frozen=True)
class BindingLimit:
    """The window that stops an account first, in the limit a request draws on."""

    bucket: str
    named: NamedWindow
    used: float
    """Percent used as of now."""
    resets_at: float | None

    @property
    def window_name(self) -> str:
        """``weekly``; a model's own limit says whose: ``Spark 5h``."""
        if self.bucket == GENERAL_BUCKET:
            return self.named.name
        return f"{bucket_label(self.bucket)} {self.named.name}"

    def label(self, now: float) -> str:
        """``weekly · resets Thu 10:37 UTC`` (``5h · reset time unknown`` without one)."""
        if self.resets_at is None:
            return f"{self.window_name} · reset time unknown"
        return f"{self.window_name} · resets {clock_time(self.resets_at, now)}"


def binding_limit(
    usage: UsageSnapshot | None, now: float, bucket: str = GENERAL_BUCKET
) -> BindingLimit | None:
    """The window of ``bucket`` that binds: a full one (the last to reset, since the
    account waits for it), else the closest to running out (`binding_window`'s rule).
    None when the bucket's use is not known."""
    pair = usage.bucket(bucket) if usage is not None else None
    if pair is None:
        return None
    windows = [w for w in named_windows(pair) if used_now(w.window, now) is not None]
    full = [w for w in windows if (used_now(w.window, now) or 0.0) >= 100]
    if full:
        chosen = max(full, key=lambda w: upcoming_reset(w.window, now) or math.inf)
    elif windows:
        chosen = min(windows, key=lambda w: _closeness(w, now))
    else:
        return None
    return BindingLimit(
        bucket=bucket,
        named=chosen,
        used=used_now(chosen.window, now) or 0.0,
        resets_at=upcoming_reset(chosen.window, now),
    )


@dataclass(frozen=True)
class AccountShare:
    """One account's room in one window, as a fraction of a whole account (0..1)."""

    key: str
    left: float
    resets_at: float | None


@dataclass(frozen=True)
class PooledWindow:
    """One window slot across the pool: the sum of what each account has left in it."""

    slot: WindowSlot
    name: str
    shares: tuple[AccountShare, ...]

    @property
    def left(self) -> float:
        """In accounts' worth: 2.3 means two accounts and a third of another are left."""
        return sum(s.left for s in self.shares)

    @property
    def accounts(self) -> int:
        return len(self.shares)

    @property
    def fraction_left(self) -> float:
        return self.left / self.accounts if self.accounts else 0.0

    @property
    def text(self) -> str:
        """``pool 2.3/3 left · 5h``: accounts' worth left out of the accounts counted."""
        left = round_half_up(self.left * 10) / 10
        return f"pool {left:.1f}/{self.accounts} left · {self.name}"


@dataclass(frozen=True)
class PoolHeadroom:
    windows: tuple[PooledWindow, ...]
    """Short first; a slot no usable account knows is left out."""

    @property
    def binding(self) -> PooledWindow | None:
        """The slot with the least left, relative to the accounts counted in it."""
        if not self.windows:
            return None
        return min(self.windows, key=lambda w: w.fraction_left)


def pool_headroom(accounts: Sequence[StoredAccount], now: float) -> PoolHeadroom:
    """What the usable accounts (no new login needed) have left in each window, in their
    general limit. An account cooling down has nothing left until its cooldown ends."""
    usable = [a for a in accounts if not a.needs_reauth]
    windows: list[PooledWindow] = []
    for slot in ("short", "long"):
        shares, names = _slot_shares(usable, slot, now)
        if shares:
            windows.append(PooledWindow(slot, "/".join(dict.fromkeys(names)), tuple(shares)))
    return PoolHeadroom(tuple(windows))


def _slot_shares(
    accounts: Sequence[StoredAccount], slot: WindowSlot, now: float
) -> tuple[list[AccountShare], list[str]]:
    shares: list[AccountShare] = []
    names: list[str] = []
    for account in accounts:
        named = named_windows(account.usage)[0 if slot == "short" else 1]
        used = used_now(named.window, now)
        if used is None:
            continue
        cooling = cooldown_of(account, now) is not None
        left = 0.0 if cooling else (100.0 - used) / 100.0
        shares.append(AccountShare(account.key, left, upcoming_reset(named.window, now)))
        names.append(named.name)
    return shares, names
