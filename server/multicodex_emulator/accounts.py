"""Per-account state: identity, quota windows, fault scripts and counters."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from multicodex_emulator.claims import Identity
from multicodex_emulator.faults import ResponseFault, UsageFault
from multicodex_emulator.models import AccountView, Counters, EmuAccount, WindowView
from multicodex_emulator.windows import Layout, QuotaWindow


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
    response_deltas: int | None = None
    deactivated: bool = False
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

    def roll(self, now: float) -> None:
        for window in self.windows:
            window.roll(now)

    def exhausted_windows(self) -> list[QuotaWindow]:
        return [w for w in self.windows if w.exhausted]

    def charge(self) -> None:
        for window in self.windows:
            window.consume(self.cost_percent)

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
        slots = ("primary", "secondary")
        return AccountView(
            account=self.public(),
            windows=[
                WindowView(
                    slot=slots[i],
                    kind=w.kind,
                    window_seconds=w.seconds,
                    used_percent=w.used_percent,
                    reset_at=w.reset_at,
                )
                for i, w in enumerate(self.windows)
            ],
            pending_faults=len(self.faults),
            pending_usage_faults=len(self.usage_faults),
        )
