"""How much of each quota window an account has used, as last seen.

Windows are classified by their duration, never by their primary/secondary position:
some plans send a single weekly window in the primary slot.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

SHORT_WINDOW_MAX_SECONDS = 24 * 3600
"""A window up to a day long is the "5h" window; anything longer is the long ("7d") one."""


class UsageWindow(BaseModel):
    model_config = ConfigDict(frozen=True)

    used_percent: float
    window_seconds: int | None = None
    resets_at: float | None = None
    """Unix seconds; None when the backend did not say (free plan sends an empty reset)."""


class UsageCredits(BaseModel):
    """Pay-as-you-go credits that can keep an account usable past its windows."""

    model_config = ConfigDict(frozen=True)

    has_credits: bool | None = None
    unlimited: bool | None = None
    balance: str | None = None


class UsageSnapshot(BaseModel):
    """One account's quota as last seen, from wham/usage or from response headers."""

    model_config = ConfigDict(frozen=True)

    plan_type: str | None = None
    five_hour: UsageWindow | None = None
    weekly: UsageWindow | None = None
    limit_reached: bool = False
    fetched_at: float
    source: Literal["endpoint", "headers"] = "endpoint"
    credits: UsageCredits | None = None

    @property
    def max_used_percent(self) -> float | None:
        """The number selection ranks by: the fuller of the two windows."""
        values = [w.used_percent for w in (self.five_hour, self.weekly) if w is not None]
        return max(values) if values else None

    @property
    def untouched(self) -> bool:
        """No window shows any use (a fresh account, or one whose windows just reset)."""
        windows = [w for w in (self.five_hour, self.weekly) if w is not None]
        return bool(windows) and all(w.used_percent <= 0 for w in windows)

    def earliest_exhausted_reset(self) -> float | None:
        """Reset time of the window that is at 100 %, the latest if both are."""
        resets = [
            w.resets_at
            for w in (self.five_hour, self.weekly)
            if w is not None and w.used_percent >= 100 and w.resets_at is not None
        ]
        return max(resets) if resets else None
