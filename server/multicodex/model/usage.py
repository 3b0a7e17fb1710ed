"""How much of each quota window an account has used, as last seen.

Windows are classified by their duration, never by their primary/secondary position:
some plans send a single weekly window in the primary slot.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from multicodex.model.quota import GENERAL_BUCKET

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


class WindowPair(BaseModel):
    """A limit's short (up to a day) and long window, and whether the backend says it is
    reached. The long window is weekly on most plans and 30 days long on Team plans: its
    length is in ``window_seconds`` and its name comes from ``quota.window_label``."""

    model_config = ConfigDict(frozen=True)

    five_hour: UsageWindow | None = None
    weekly: UsageWindow | None = None
    limit_reached: bool = False

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


class QuotaBucket(WindowPair):
    """A model-scoped limit of an account (``additional_rate_limits``), e.g. Spark's."""

    limit_name: str | None = None


class UsageSnapshot(WindowPair):
    """One account's quota as last seen, from wham/usage or from response headers.

    The windows are the account's general (``codex``) limit; model-scoped limits are in
    ``buckets`` by their ``metered_feature`` (``codex_bengalfox`` for Spark).
    """

    plan_type: str | None = None
    fetched_at: float
    source: Literal["endpoint", "headers"] = "endpoint"
    credits: UsageCredits | None = None
    buckets: dict[str, QuotaBucket] = Field(default_factory=dict)
    reset_credits: int | None = None
    """Banked rate-limit reset credits (``rate_limit_reset_credits.available_count``);
    None when the backend did not say."""

    def bucket(self, bucket_id: str) -> WindowPair | None:
        """The windows a request metered on ``bucket_id`` draws on."""
        if bucket_id == GENERAL_BUCKET:
            return self
        return self.buckets.get(bucket_id)
