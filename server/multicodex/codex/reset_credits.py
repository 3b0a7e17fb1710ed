"""The backend's rate-limit reset credits, as ``wham/rate-limit-reset-credits`` sends them.

A reset credit is banked on an account (ChatGPT grants them now and then); redeeming one
ends the account's current usage windows at once. ``GET`` lists them; ``POST …/consume``
with a ``redeem_request_id`` redeems one. The same id sent twice redeems at most once
(the second answer is ``already_redeemed``), so a retried call never spends two.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ConsumeCode = Literal["reset", "nothing_to_reset", "no_credit", "already_redeemed"]


class ResetCredit(BaseModel):
    """One banked credit; only ``available`` ones can be redeemed."""

    model_config = ConfigDict(extra="ignore")

    id: str | None = None
    status: str | None = None
    reset_type: str | None = None
    granted_at: str | None = None
    expires_at: str | None = None
    title: str | None = None


class ResetCreditList(BaseModel):
    """``GET wham/rate-limit-reset-credits``."""

    model_config = ConfigDict(extra="ignore")

    available_count: int | None = Field(default=None, ge=0)
    credits: list[ResetCredit] = Field(default_factory=list)

    @property
    def available(self) -> int:
        """How many can be redeemed now: the count when the backend gives one, else the
        credits listed as available."""
        if self.available_count is not None:
            return self.available_count
        return sum(1 for credit in self.credits if credit.status == "available")


class ConsumeResult(BaseModel):
    """``POST wham/rate-limit-reset-credits/consume``: ``reset`` (the windows were
    reset), ``already_redeemed`` (this redeem id was used before: the reset happened),
    ``nothing_to_reset`` (no window needed it: nothing was spent), ``no_credit`` (none
    banked)."""

    model_config = ConfigDict(extra="ignore")

    code: ConsumeCode
    windows_reset: int = 0
