"""Per-account state: identity, quota windows, fault scripts and counters."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from multicodex_emulator.claims import Identity
from multicodex_emulator.faults import ResponseFault, UsageFault
from multicodex_emulator.models import (
    AccountView,
    Counters,
    CreditsView,
    EmuAccount,
    WindowView,
)
from multicodex_emulator.windows import Layout, QuotaWindow

Meter = Literal["included", "spark", "credits"]
"""What a response is charged to: the account's windows, Spark's windows, paid credits."""
SPARK_PLANS = ("pro",)


@dataclass
class AccountState:
    account_id: str
    email: str
    plan: str
    layout: Layout
    user_id: str
    cost_percent: float
    windows: list[QuotaWindow]
    """Slot order: [primary] or [primary, secondary]."""
    spark: list[QuotaWindow]
    """The Spark model's own 5 h + weekly windows (served for Pro accounts only)."""
    response_deltas: int | None = None
    deactivated: bool = False
    has_credits: bool = False
    credit_balance: float = 0.0
    credit_cost: float = 1.0
    """Credits one paid response takes from the balance."""
    reset_credits: int = 0
    redeemed: set[str] = field(default_factory=set)
    """`redeem_request_id`s of reset credits already spent."""
    faults: deque[ResponseFault] = field(default_factory=deque)
    usage_faults: deque[UsageFault] = field(default_factory=deque)
    counters: Counters = field(default_factory=Counters)
    refresh_generation: int = 0

    @property
    def identity(self) -> Identity:
        return Identity(self.account_id, self.user_id, self.email, self.plan)

    @property
    def primary(self) -> QuotaWindow:
        return self.windows[0]

    @property
    def secondary(self) -> QuotaWindow | None:
        return self.windows[1] if len(self.windows) > 1 else None

    def window_of(self, kind: str) -> QuotaWindow | None:
        """The five-hour window for "five_hour"; the long window for anything else."""
        if kind == "five_hour":
            return next((w for w in self.windows if w.kind == "five_hour"), None)
        return next((w for w in self.windows if w.kind != "five_hour"), None)

    @property
    def has_spark_limits(self) -> bool:
        return self.plan in SPARK_PLANS

    def spark_window_of(self, kind: str) -> QuotaWindow:
        return self.spark[0] if kind == "five_hour" else self.spark[1]

    def roll(self, now: float) -> None:
        for window in (*self.windows, *self.spark):
            window.roll(now)

    def exhausted_windows(self) -> list[QuotaWindow]:
        return [w for w in self.windows if w.exhausted]

    def exhausted_spark_windows(self) -> list[QuotaWindow]:
        return [w for w in self.spark if w.exhausted]

    def can_pay(self) -> bool:
        return self.has_credits and self.credit_balance > 0

    def meter_for(self, metered_feature: str | None) -> Meter:
        """Spark models use Spark's windows; past the included quota, credits pay."""
        if metered_feature is not None:
            return "spark"
        if self.exhausted_windows() and self.can_pay():
            return "credits"
        return "included"

    def metered_windows(self, meter: Meter) -> list[QuotaWindow]:
        return self.spark if meter == "spark" else self.windows

    def refusal_windows(self, meter: Meter) -> list[QuotaWindow]:
        """The exhausted windows that refuse a request on this meter (none: it is served)."""
        if meter == "credits":
            return []
        return self.exhausted_spark_windows() if meter == "spark" else self.exhausted_windows()

    def charge(self, meter: Meter) -> None:
        if meter == "credits":
            self.credit_balance = max(0.0, self.credit_balance - self.credit_cost)
            self.has_credits = self.credit_balance > 0
            return
        for window in self.metered_windows(meter):
            window.consume(self.cost_percent)

    def redeem_reset_credit(self, redeem_request_id: str, now: float) -> str:
        """Spend one banked reset credit on the exhausted included windows; the wire code."""
        if redeem_request_id in self.redeemed:
            return "already_redeemed"
        if self.reset_credits <= 0:
            return "no_credit"
        exhausted = self.exhausted_windows()
        if not exhausted:
            return "nothing_to_reset"
        for window in exhausted:
            window.restart(now)
        self.reset_credits -= 1
        self.redeemed.add(redeem_request_id)
        return "reset"

    def public(self) -> EmuAccount:
        return EmuAccount(
            account_id=self.account_id,
            email=self.email,
            plan=self.plan,
            layout=self.layout,
            user_id=self.user_id,
            cost_percent=self.cost_percent,
            response_deltas=self.response_deltas,
            deactivated=self.deactivated,
        )

    def view(self) -> AccountView:
        return AccountView(
            account=self.public(),
            windows=_window_views(self.windows),
            spark_windows=_window_views(self.spark) if self.has_spark_limits else [],
            credits=CreditsView(
                has_credits=self.has_credits,
                balance=self.credit_balance,
                cost_per_response=self.credit_cost,
                reset_credits=self.reset_credits,
            ),
            pending_faults=len(self.faults),
            pending_usage_faults=len(self.usage_faults),
        )


def _window_views(windows: list[QuotaWindow]) -> list[WindowView]:
    slots = ("primary", "secondary")
    return [
        WindowView(
            slot=slots[i],
            kind=w.kind,
            window_seconds=w.seconds,
            used_percent=w.used_percent,
            reset_at=w.reset_at,
        )
        for i, w in enumerate(windows)
    ]
