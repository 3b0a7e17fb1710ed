"""The user's settings: footer format, rotation policy and usage notices."""

from __future__ import annotations

import itertools
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from typing_extensions import TypeAliasType

# Named, so the protocol's JSON Schema carries each list of values once.
UsageMode = TypeAliasType("UsageMode", Literal["left", "used"])
ResetWindow = TypeAliasType("ResetWindow", Literal["binding", "5h", "7d", "both"])
FooterOrder = TypeAliasType("FooterOrder", Literal["account-first", "usage-first"])
WhenExhausted = TypeAliasType("WhenExhausted", Literal["wait", "reset-credit", "paid-credits"])
ResetCreditConfirm = TypeAliasType("ResetCreditConfirm", Literal["ask", "automatic"])


class FooterSettings(BaseModel):
    """Footer preferences (formats of the original, pi-multicodex-spec §12)."""

    usage_mode: UsageMode = "left"
    reset_window: ResetWindow = "binding"
    """binding: the countdown of the window closest to running out."""
    show_account: bool = True
    show_reset: bool = True
    order: FooterOrder = "account-first"
    compact: bool = False
    """One window (the binding one) and a short account name, for narrow status bars."""


class RotationPolicy(BaseModel):
    strategy: str = "default"
    retry_limit: int = Field(default=5, ge=0, le=50)
    fallback_cooldown_seconds: int = Field(default=3600, ge=1)
    sticky: bool = True
    first_output_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    """The backend starts an answer (headers, first event) within a few seconds; past this
    the account is taken as stalled and the request moves on before the user waits long."""
    stall_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    """Once the answer has started a reasoning model may think silently for a while; past
    this silence the stream is taken as dead."""
    when_exhausted: WhenExhausted = "wait"
    """What happens once every account's included quota is used up: ``wait`` for the
    earliest reset; ``reset-credit``: spend a banked rate-limit reset credit (see
    ``reset_credit_confirm``); ``paid-credits``: serve from an account that has paid
    credits. Nothing is ever spent unless this says so."""
    reset_credit_confirm: ResetCreditConfirm = "ask"
    """With ``reset-credit``: ask the user before each spend, or spend without asking."""


MAX_NOTICE_MARGIN = 50.0
THRESHOLDS_RULE = "must be percents used from 1 to 100, each above the one before"


def check_thresholds(thresholds: list[int]) -> list[int]:
    """Ascending percents of 1..100 (none: no notices)."""
    in_range = all(1 <= t <= 100 for t in thresholds)
    if not in_range or any(b <= a for a, b in itertools.pairwise(thresholds)):
        raise ValueError(THRESHOLDS_RULE)
    return thresholds


class UsageNoticeSettings(BaseModel):
    """When the active account or the pool crosses a threshold of use, one notice."""

    thresholds: list[int] = Field(default_factory=lambda: [80, 95])
    """Percent used, ascending, each 1..100; none: no notices."""
    margin: float = Field(default=5.0, ge=0, le=MAX_NOTICE_MARGIN)
    """A threshold is announced again only after use fell below it by this much (or its
    window reset)."""

    _ascending = field_validator("thresholds")(check_thresholds)


class Settings(BaseModel):
    footer: FooterSettings = Field(default_factory=FooterSettings)
    usage_notices: UsageNoticeSettings = Field(default_factory=UsageNoticeSettings)
    rotation: RotationPolicy = Field(default_factory=RotationPolicy)
    usage_ttl_seconds: int = Field(default=300, ge=1)
