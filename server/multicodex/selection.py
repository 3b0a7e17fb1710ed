"""Which account serves the next request: named, swappable selection strategies.

Pure: every function takes ``now`` as a parameter and reads nothing else from the world.

Every strategy applies the same frame around its own ranking:

1. the manual pin, when the pinned account is usable;
2. the conversation's current account (``affinity``) while it is healthy, if ``sticky``
   (keeps the backend's prompt cache warm);
3. the strategy's ranking of the remaining available accounts;
4. nothing, with the earliest cooldown end, when no account is available.

Usage percentages are read "as of now": a window whose reset time has passed counts as
0 % used, because the quota came back even if the snapshot has not been refreshed yet.
An account is *exhausted* when one of its windows is at 100 % as of now. Exhausted
accounts that are not on cooldown are still available (the snapshot may be wrong), but
every strategy tries them last, after accounts it knows nothing about.

A request for a model goes only to accounts that can serve it (``model_access``): an
account whose plan's list lacks the model, that the backend gated for it, or whose limit
for that model (Spark's) is cooling down is skipped for this model alone, with the reason,
and ranked by that limit's windows. The pin and stickiness yield to it; the pin is kept.
"""

from __future__ import annotations

import logging
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from multicodex.headroom import limit_of, named_windows, used_now
from multicodex.model import StoredAccount, WindowPair
from multicodex.model.quota import GENERAL_BUCKET, bucket_for_model
from multicodex.model_access import PlanModels, model_block
from multicodex.paid_credits import PAID_CREDITS_SKIP, serves_only_on_paid_credits
from multicodex.timefmt import clock_time

log = logging.getLogger(__name__)

Availability = Literal["available", "needs_reauth", "cooldown", "excluded"]
SkipReason = Literal["needs_reauth", "cooldown", "excluded", "model"]
"""``model``: cannot serve the request's model (plan, gate) with no known end."""
Rule = Literal[
    "pinned",
    "sticky",
    "untouched",
    "lowest_usage",
    "most_used",
    "soonest_reset",
    "no_usage_data",
    "last_resort",
    "workspace",
    "none",
]

_SKIPPED_MENTIONED_AT_MOST = 3


class SelectionRequest(BaseModel):
    """Everything a strategy may look at. ``accounts`` is in pool order."""

    model_config = ConfigDict(frozen=True)

    accounts: Sequence[StoredAccount]
    now: float
    excluded: frozenset[str] = frozenset()
    """Accounts already tried during this request."""
    pinned: str | None = None
    """The user's manual pin (an account key)."""
    affinity: str | None = None
    """The account that served this conversation last."""
    sticky: bool = True
    model: str | None = None
    """The model the request asks for; None: any account will do."""
    model_name: str | None = None
    """Its display name, for the reasons."""
    plan_models: PlanModels = Field(default_factory=dict)
    """The models each plan's list offers (plans missing here restrict nothing)."""
    client_version: str = ""
    """The client version MultiCodex sends; a version gate set for another one is over."""


class SkippedAccount(BaseModel):
    model_config = ConfigDict(frozen=True)

    key: str
    why: SkipReason
    until: float | None = None
    """End of the cooldown when ``why`` is ``cooldown``."""
    model_only: bool = False
    """Skipped for the request's model alone (its plan, a gate, the model's limit); the
    account still serves other models."""
    detail: str | None = None
    """Why, in words, when ``model_only`` (``GPT-5.3 Codex Spark is not in the plus plan``)."""


class Selection(BaseModel):
    key: str | None
    """The chosen account, None when no account is available."""
    reason: str
    """Why, in words, naming the account, including briefly why other accounts were passed
    over: ``alice: lowest usage ...; bob on cooldown until 14:05 UTC``."""
    why: str = ""
    """The same without the chosen account's name, for a view that already shows it
    (``using alice - lowest usage ...``)."""
    rule: Rule
    strategy: str
    clear_pin: bool = False
    """The pin names an account that is gone, needs re-auth or is cooling down."""
    skipped: list[SkippedAccount] = Field(default_factory=list)
    earliest_reset: float | None = None
    """When nothing is available: the earliest end among the cooldowns."""


def availability(
    account: StoredAccount, now: float, excluded: frozenset[str] = frozenset()
) -> Availability:
    """Whether ``account`` may serve a request at ``now``.

    The most lasting reason wins: re-auth outlasts a cooldown, which outlasts this
    request's exclusion. A cooldown that ended at or before ``now`` no longer counts.
    """
    if account.needs_reauth:
        return "needs_reauth"
    if account.cooldown_until is not None and account.cooldown_until > now:
        return "cooldown"
    if account.key in excluded:
        return "excluded"
    return "available"


@dataclass(frozen=True)
class AccountStanding:
    """An available account's usage as of now, and its place in the pool.

    What a strategy ranks. Percentages are clamped to 0..100 and read as of now.
    """

    account: StoredAccount
    position: int
    five_hour: float | None
    weekly: float | None
    weekly_reset: float | None
    """Only a reset still in the future; a past one says nothing about the next."""
    short_name: str = "5h"
    long_name: str = "weekly"
    """The windows named by their length (a Team account's long window is 30-day)."""

    @property
    def name(self) -> str:
        return self.account.display_name

    @cached_property
    def peak(self) -> float | None:
        """The higher window (computed once: every ranking rule asks for it)."""
        values = [v for v in (self.five_hour, self.weekly) if v is not None]
        return max(values) if values else None

    @property
    def has_data(self) -> bool:
        return self.peak is not None

    @property
    def exhausted(self) -> bool:
        return self.peak is not None and self.peak >= 100

    @property
    def untouched(self) -> bool:
        return self.peak is not None and self.peak <= 0

    @property
    def has_headroom(self) -> bool:
        return self.has_data and not self.exhausted

    @property
    def calm_order(self) -> tuple[float, float, int]:
        """Least used first, then the earliest weekly reset, then pool order."""
        return (_or_full(self.peak), _or_never(self.weekly_reset), self.position)


@dataclass(frozen=True)
class Pick:
    """A strategy's answer: the account, the rule that chose it, and why in words."""

    standing: AccountStanding
    rule: Rule
    reason: str


class Strategy(ABC):
    """A named way to rank the available accounts.

    Subclasses implement ``rank`` only; the pin, stickiness, skipped accounts and the
    "nothing available" outcome are handled the same way for every strategy.
    """

    name: ClassVar[str]
    description: ClassVar[str]

    @abstractmethod
    def rank(self, standings: Sequence[AccountStanding], now: float) -> Pick | None:
        """Choose among available accounts (pool order), None only when there are none."""

    def choose(self, request: SelectionRequest) -> Selection:
        return _Choice(self, request).decide()


class DefaultStrategy(Strategy):
    """Spread use evenly, preferring quota that has not been touched.

    Untouched accounts first (earliest weekly reset, then pool order); then the lowest
    ``max(5h %, weekly %)`` with the earliest weekly reset breaking ties, then pool order;
    then accounts without usage data in pool order; exhausted accounts last.
    """

    name = "default"
    description = (
        "untouched accounts first, then the lowest usage (earliest weekly reset breaks ties)"
    )

    def rank(self, standings: Sequence[AccountStanding], now: float) -> Pick | None:
        untouched = [s for s in standings if s.untouched]
        if untouched:
            best = min(untouched, key=lambda s: s.calm_order)
            return Pick(best, "untouched", "untouched")
        headroom = [s for s in standings if s.has_headroom]
        if headroom:
            best = min(headroom, key=lambda s: s.calm_order)
            return Pick(best, "lowest_usage", _lowest_usage_reason(best, now))
        return _fallback(standings)


class DrainFirstStrategy(Strategy):
    """Use one account until it is exhausted, keeping the others fresh.

    Users ask for this so that windows stagger instead of all running out together, and
    so one account keeps the prompt cache warm. Picks the most used account that still
    has headroom (earliest weekly reset, then pool order, break ties); then accounts
    without usage data in pool order; exhausted accounts last.
    """

    name = "drain-first"
    description = "use the most used account that still has headroom; keep the others fresh"

    def rank(self, standings: Sequence[AccountStanding], now: float) -> Pick | None:
        headroom = [s for s in standings if s.has_headroom]
        if headroom:
            best = min(
                headroom,
                key=lambda s: (-_or_full(s.peak), _or_never(s.weekly_reset), s.position),
            )
            reason = (
                f"most used with headroom, {_percent(best.peak)} of its "
                f"{_peak_window(best)} window used (drained before the others are touched)"
            )
            return Pick(best, "most_used", reason)
        return _fallback(standings)


class ResetFirstStrategy(Strategy):
    """Spend first the quota that is about to expire.

    Among accounts with headroom, picks the one whose weekly window resets soonest (its
    unused quota is lost at the reset), lower usage then pool order breaking ties.
    Accounts with headroom but no known weekly reset come next by lowest usage; then
    accounts without usage data in pool order; exhausted accounts last.
    """

    name = "reset-first"
    description = "use the account whose weekly window resets soonest while it has headroom"

    def rank(self, standings: Sequence[AccountStanding], now: float) -> Pick | None:
        headroom = [s for s in standings if s.has_headroom]
        resetting = [s for s in headroom if s.weekly_reset is not None]
        if resetting:
            best = min(
                resetting, key=lambda s: (_or_never(s.weekly_reset), _or_full(s.peak), s.position)
            )
            reason = (
                f"{best.long_name} window resets soonest "
                f"({clock_time(_or_never(best.weekly_reset), now)}), "
                f"{_percent(best.peak)} used"
            )
            return Pick(best, "soonest_reset", reason)
        if headroom:
            best = min(headroom, key=lambda s: s.calm_order)
            return Pick(best, "lowest_usage", _lowest_usage_reason(best, now))
        return _fallback(standings)


_REGISTRY: Mapping[str, Strategy] = MappingProxyType(
    {
        strategy.name: strategy
        for strategy in (DefaultStrategy(), DrainFirstStrategy(), ResetFirstStrategy())
    }
)

STRATEGIES: Mapping[str, str] = MappingProxyType(
    {name: strategy.description for name, strategy in _REGISTRY.items()}
)
"""Strategy name → one-line description, for listing to the user."""


DEFAULT_STRATEGY = "default"
_UNKNOWN_REPORTED: set[str] = set()


def get_strategy(name: str) -> Strategy:
    """The strategy called ``name``; one this version does not know (a store written by a
    newer MultiCodex, a hand edit) is the default, said once per process. Selection, the
    status and completions all come here, so they agree."""
    strategy = _REGISTRY.get(name)
    if strategy is not None:
        return strategy
    if name not in _UNKNOWN_REPORTED:
        _UNKNOWN_REPORTED.add(name)
        log.warning(
            "the rotation strategy %r is not known to this version; using %r (known: %s)",
            name,
            DEFAULT_STRATEGY,
            ", ".join(sorted(_REGISTRY)),
        )
    return _REGISTRY[DEFAULT_STRATEGY]


class _Choice:
    """One run of the frame every strategy shares (see the module docstring)."""

    def __init__(self, strategy: Strategy, request: SelectionRequest) -> None:
        self.strategy = strategy
        self.request = request
        self.now = request.now
        self.names = {a.key: a.display_name for a in request.accounts}
        self.skipped: list[SkippedAccount] = []
        self.standings: dict[str, AccountStanding] = {}
        bucket = bucket_for_model(request.model)
        for position, account in enumerate(request.accounts):
            state = availability(account, self.now, request.excluded)
            skip = self._model_skip(account, state) or _paid_credits_skip(
                account, state, bucket, self.now
            )
            if skip is not None:
                self.skipped.append(skip)
            elif state == "available":
                self.standings[account.key] = _standing(account, position, self.now, bucket)
            else:
                until = account.cooldown_until if state == "cooldown" else None
                self.skipped.append(SkippedAccount(key=account.key, why=state, until=until))
        self.notes: list[str] = []
        self.explained: set[str] = set()
        self.clear_pin = False

    def _model_skip(self, account: StoredAccount, state: Availability) -> SkippedAccount | None:
        """A block with no end (plan, gate) is the reason whatever else holds; the model's
        limit cooling down outlasts this request's exclusion, not the account's own
        cooldown or a needed login."""
        request = self.request
        if request.model is None:
            return None
        block = model_block(
            account,
            request.model,
            now=self.now,
            plan_models=request.plan_models,
            client_version=request.client_version,
            model_name=request.model_name,
        )
        if block is None or (not block.lasting and state not in ("available", "excluded")):
            return None
        return SkippedAccount(
            key=account.key,
            why="model" if block.lasting else "cooldown",
            until=block.until,
            model_only=True,
            detail=block.text,
        )

    def decide(self) -> Selection:
        pick = (
            self._pinned()
            or self._sticky()
            or self.strategy.rank(list(self.standings.values()), self.now)
        )
        if pick is None:
            return self._nothing_available()
        return self._selection(pick.standing.account.key, pick.rule, pick.reason)

    def _pinned(self) -> Pick | None:
        pinned = self.request.pinned
        if pinned is None:
            return None
        standing = self.standings.get(pinned)
        if standing is not None:
            return Pick(standing, "pinned", "pinned by you")
        skip = self._skip_of(pinned)
        if skip is None:
            self.clear_pin = True
            self.notes.append(f"pin on {pinned} cleared (no longer in the pool)")
            return None
        # A pin skipped only for this request or this model stays; the others are cleared.
        kept = skip.why == "excluded" or skip.model_only
        self.clear_pin = not kept
        verb = "cleared" if not kept else "passed over" if skip.model_only else "skipped"
        self.notes.append(f"pin on {self._name(pinned)} {verb}: {self._condition(skip)}")
        self.explained.add(pinned)
        return None

    def _sticky(self) -> Pick | None:
        affinity = self.request.affinity
        if not self.request.sticky or affinity is None:
            return None
        standing = self.standings.get(affinity)
        if standing is None:
            return None
        if not standing.exhausted:
            reason = "keeps this conversation on the account that served it (healthy)"
            return Pick(standing, "sticky", reason)
        self.notes.append(f"moved this conversation off {standing.name}: {_full_windows(standing)}")
        return None

    def _nothing_available(self) -> Selection:
        cooldowns = [s.until for s in self.skipped if s.why == "cooldown" and s.until is not None]
        earliest = min(cooldowns) if cooldowns else None
        head = "no account available" if self.request.accounts else "no accounts in the pool"
        if earliest is not None:
            head += f" (earliest back at {clock_time(earliest, self.now)})"
        return self._selection(None, "none", head, earliest_reset=earliest)

    def _selection(
        self, key: str | None, rule: Rule, reason: str, earliest_reset: float | None = None
    ) -> Selection:
        why = "; ".join([reason, *self.notes, *self._skipped_summary()])
        return Selection(
            key=key,
            reason=f"{self._name(key)}: {why}" if key is not None else why,
            why=why,
            rule=rule,
            strategy=self.strategy.name,
            clear_pin=self.clear_pin,
            skipped=list(self.skipped),
            earliest_reset=earliest_reset,
        )

    def _skipped_summary(self) -> list[str]:
        pending = [s for s in self.skipped if s.key not in self.explained]
        shown = [self._skip_text(s) for s in pending[:_SKIPPED_MENTIONED_AT_MOST]]
        hidden = len(pending) - len(shown)
        if hidden:
            shown.append(f"{hidden} more unavailable")
        return shown

    def _skip_of(self, key: str) -> SkippedAccount | None:
        return next((s for s in self.skipped if s.key == key), None)

    def _skip_text(self, skip: SkippedAccount) -> str:
        if skip.model_only:
            return f"{self._name(skip.key)}: {self._condition(skip)}"
        return f"{self._name(skip.key)} {self._condition(skip)}"

    def _name(self, key: str) -> str:
        return self.names.get(key, key)

    def _condition(self, skip: SkippedAccount) -> str:
        if skip.detail is not None:
            return skip.detail
        if skip.why == "needs_reauth":
            return "needs re-auth"
        if skip.why == "cooldown" and skip.until is not None:
            return f"on cooldown until {clock_time(skip.until, self.now)}"
        return "already tried in this request"


def _standing(
    account: StoredAccount, position: int, now: float, bucket: str = GENERAL_BUCKET
) -> AccountStanding:
    """Ranked by the windows of the limit the request draws on (Spark's for Spark)."""
    usage: WindowPair | None = None
    if account.usage is not None:
        usage = account.usage.bucket(bucket)
    if usage is None:
        return AccountStanding(account, position, None, None, None)
    weekly_reset = usage.weekly.resets_at if usage.weekly is not None else None
    if weekly_reset is not None and weekly_reset <= now:
        weekly_reset = None
    short, long = named_windows(usage)
    return AccountStanding(
        account,
        position,
        five_hour=used_now(usage.five_hour, now),
        weekly=used_now(usage.weekly, now),
        weekly_reset=weekly_reset,
        short_name=short.name,
        long_name=long.name,
    )


def _fallback(standings: Sequence[AccountStanding]) -> Pick | None:
    """What is left once no account with headroom is known: unknown, then exhausted.

    Among accounts with no usage data the one used least recently goes first, so that
    requests made before any usage is known spread over the pool instead of all landing
    on the first account."""
    unknown = [s for s in standings if not s.has_data]
    if unknown:
        first = min(unknown, key=lambda s: (s.account.last_used_at or 0.0, s.position))
        return Pick(first, "no_usage_data", "no usage data yet, used least recently")
    if not standings:
        return None
    best = min(standings, key=lambda s: s.calm_order)
    reason = "last resort, every usable account is at its limit"
    return Pick(best, "last_resort", reason)


def _lowest_usage_reason(standing: AccountStanding, now: float) -> str:
    reason = f"lowest usage: {_percent(standing.peak)} of its {_peak_window(standing)} window used"
    if standing.weekly_reset is not None:
        reason += f" ({standing.long_name} resets {clock_time(standing.weekly_reset, now)})"
    return reason


def _peak_window(standing: AccountStanding) -> str:
    """The window whose use ranks the account: the fuller one."""
    five_hour, weekly = standing.five_hour, standing.weekly
    if five_hour is not None and (weekly is None or five_hour > weekly):
        return standing.short_name
    return standing.long_name


def _full_windows(standing: AccountStanding) -> str:
    full = [
        label
        for label, used in (
            (standing.short_name, standing.five_hour),
            (standing.long_name, standing.weekly),
        )
        if used is not None and used >= 100
    ]
    return f"{' and '.join(full)} at 100%"


def _or_full(percent: float | None) -> float:
    return 100.0 if percent is None else percent


def _or_never(timestamp: float | None) -> float:
    return math.inf if timestamp is None else timestamp


def _percent(value: float | None) -> str:
    return "unknown" if value is None else f"{math.floor(value + 0.5)}%"


def _paid_credits_skip(
    account: StoredAccount, state: Availability, bucket: str, now: float
) -> SkippedAccount | None:
    """Never spend money silently: an account at its limit that would serve on paid
    credits is left out (``paid_credits``; the ``paid-credits`` setting brings it back)."""
    if state != "available" or bucket != GENERAL_BUCKET:
        return None
    if not serves_only_on_paid_credits(account, now):
        return None
    limit = limit_of(account.usage, now)
    until = limit.until if limit is not None else None
    return SkippedAccount(key=account.key, why="cooldown", until=until, detail=PAID_CREDITS_SKIP)
