"""Spending a banked rate-limit reset credit when every account's included quota is used
up, and only when the user's settings allow it.

The account chosen is the one whose reset is furthest away among those holding a credit
(the credit saves the longest wait). The user is asked first unless they chose
``automatic``; a credit is redeemed with a fresh redeem id, sent again unchanged if the
answer is lost, so one decision spends at most one credit. Requests that meet the
exhausted pool at the same time share that one decision, in this process and in every
other process on the same store (two editor windows, or machines on one database): the
decision is taken under a store-wide lock (a file lock; an advisory lock on a database),
the spend is recorded on the account in the store, and whoever comes next re-reads it
there and uses the account it reset instead of spending again.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from typing import ClassVar

from multicodex.codex.client import CodexClient
from multicodex.codex.errors import CodexFailure
from multicodex.codex.reset_credits import ConsumeResult
from multicodex.headroom import cooldown_of, limit_of
from multicodex.model import FailureKind, StoredAccount
from multicodex.pool.errors import PoolError
from multicodex.pool.locks import LockTimeout, account_locks
from multicodex.pool.pool import Pool
from multicodex.timefmt import until

log = logging.getLogger(__name__)

SHARED_DECISION_SECONDS = 60.0
"""How long a spend (or the user's "wait") answers other requests that met the exhausted
pool at the same time, instead of spending or asking again."""
CONSUME_ATTEMPTS = 2
"""The consume call is sent at most twice, with the same redeem id."""
DECISION_LOCK_SECONDS = 300.0
"""How long a process waits for another one's decision (which may be asking the user)."""
DECISION_LOCK_KEY = "pool"
DECISION_LOCK_PURPOSE = "reset-credit"


@dataclass(frozen=True)
class ResetCreditOffer:
    """What the user is asked: spend one of ``credits`` credits on the account, which
    otherwise waits until ``resets_at``."""

    account_key: str
    account_name: str
    credits: int
    resets_at: float | None
    now: float

    @property
    def spend_label(self) -> str:
        return f"Spend 1 reset credit on {self.account_name}"

    WAIT_LABEL: ClassVar[str] = "Wait"

    def question(self) -> str:
        """The question, the same in the editor and on a terminal."""
        held = "1 reset credit" if self.credits == 1 else f"{self.credits} reset credits"
        back = (
            f"its quota comes back at {until(self.resets_at, self.now)}"
            if self.resets_at is not None
            else "when its quota comes back is not known"
        )
        return (
            f"MultiCodex: every account's included quota is used up. {self.account_name} "
            f"holds {held} ({back}); spending one starts its usage windows over now."
        )


ConfirmSpend = Callable[[ResetCreditOffer], Awaitable[bool]]
"""Asks the user; True only when they chose to spend."""


async def never_confirmed(_offer: ResetCreditOffer) -> bool:
    """No one to ask: nothing is spent."""
    return False


@dataclass(frozen=True)
class Spent:
    """A reset credit made ``account_key`` usable again; ``why`` says so in words."""

    account_key: str
    why: str


class ResetCreditSpender:
    """Decides, asks and redeems; one decision at a time across every process sharing
    the store."""

    def __init__(
        self, pool: Pool, codex: CodexClient, confirm: ConfirmSpend = never_confirmed
    ) -> None:
        self._pool = pool
        self._codex = codex
        self.confirm = confirm
        self._lock = asyncio.Lock()
        self._decision_lock = account_locks(pool.store, timeout=DECISION_LOCK_SECONDS)
        self._declined_at: float | None = None

    async def spend(
        self, *, ask: bool, skip: Collection[str] = (), only: str | None = None
    ) -> Spent | None:
        """Make one exhausted account usable with a reset credit, or None (nothing
        banked, the user said wait, the backend refused). ``skip``: accounts this request
        already had from here; ``only``: the one account the request may use."""
        async with self._lock:
            try:
                async with self._decision_lock.hold(DECISION_LOCK_KEY, DECISION_LOCK_PURPOSE):
                    return await self._decide(ask=ask, skip=skip, only=only)
            except LockTimeout as exc:
                log.warning("no reset credit spent: %s", exc)
                return None

    async def _decide(self, *, ask: bool, skip: Collection[str], only: str | None) -> Spent | None:
        """Under the decision lock: the store read now holds every other process's spend."""
        shared = await self._shared_decision(skip, only)
        if shared is not None or self._declined_recently():
            return shared
        for account in await self._candidates(skip, only):
            outcome = await self._offer(account, ask=ask)
            if outcome is not None or self._declined_recently():
                return outcome
        return None

    async def _shared_decision(self, skip: Collection[str], only: str | None) -> Spent | None:
        """An account a credit was just spent on (by this process or another one on the
        store), for a request that met the exhausted pool at the same time as the one
        that spent it. Its cooldown may have been set again since by a 429 answered
        before the reset: the credit ended that one too."""
        now = self._pool.clock()
        for account in self._pool.accounts():
            at = account.reset_credit_spent_at
            if at is None or now - at > SHARED_DECISION_SECONDS or account.needs_reauth:
                continue
            if account.key in skip or only not in (None, account.key):
                continue
            await self._pool.clear_cooldown(account.key)
            return Spent(account.key, f"a reset credit was just spent on {account.display_name}")
        return None

    def _declined_recently(self) -> bool:
        declined = self._declined_at
        return declined is not None and self._pool.clock() - declined < SHARED_DECISION_SECONDS

    async def _candidates(self, skip: Collection[str], only: str | None) -> list[StoredAccount]:
        """Exhausted accounts that hold (or may hold) a credit, furthest reset first."""
        now = self._pool.clock()
        exhausted = [
            a
            for a in self._pool.accounts()
            if not a.needs_reauth
            and a.key not in skip
            and only in (None, a.key)
            and _used_up(a, now)
        ]
        holding = [a for a in exhausted if await self._credits_of(a) > 0]
        return sorted(holding, key=lambda a: -_reset_or_never(a, now))

    async def _credits_of(self, account: StoredAccount) -> int:
        """The credits the usage snapshot reports; asked of the backend when unknown."""
        usage = account.usage
        if usage is not None and usage.reset_credits is not None:
            return usage.reset_credits
        try:
            fresh = await self._pool.tokens.valid(account.key)
            listing = await self._codex.fetch_reset_credits(
                access_token=fresh.tokens.access_token, account_id=fresh.account_id
            )
        except (CodexFailure, PoolError) as exc:
            log.info("reset credits of %s unknown: %s", account.display_name, exc)
            return 0
        if usage is not None:
            await self._pool.record_usage(
                account.key, usage.model_copy(update={"reset_credits": listing.available})
            )
        return listing.available

    async def _offer(self, account: StoredAccount, *, ask: bool) -> Spent | None:
        now = self._pool.clock()
        current = self._pool.get(account.key)
        if not _used_up(current, now):
            return Spent(account.key, f"{account.display_name} has room again; no credit spent")
        offer = ResetCreditOffer(
            account_key=account.key,
            account_name=account.display_name,
            credits=max(1, account.usage.reset_credits or 0) if account.usage else 1,
            resets_at=_comes_back_at(account, now),
            now=now,
        )
        if ask and not await self.confirm(offer):
            self._declined_at = self._pool.clock()
            log.info("reset credit on %s not spent: the user chose to wait", offer.account_name)
            return None
        redeem_id = str(uuid.uuid4())
        result = await self._consume(account, redeem_id)
        if result is None:
            return None
        return await self._after_consume(account, result, redeem_id)

    async def _consume(self, account: StoredAccount, redeem_id: str) -> ConsumeResult | None:
        for attempt in range(1, CONSUME_ATTEMPTS + 1):
            try:
                fresh = await self._pool.tokens.valid(account.key)
                return await self._codex.consume_reset_credit(
                    access_token=fresh.tokens.access_token,
                    account_id=fresh.account_id,
                    redeem_request_id=redeem_id,
                )
            except CodexFailure as exc:
                retry = exc.kind is FailureKind.TRANSIENT and attempt < CONSUME_ATTEMPTS
                log.warning("reset credit on %s: %s", account.display_name, exc.message)
                if not retry:
                    return None
            except PoolError as exc:
                log.warning("reset credit on %s not spent: %s", account.display_name, exc)
                return None
        return None

    async def _after_consume(
        self, account: StoredAccount, result: ConsumeResult, redeem_id: str
    ) -> Spent | None:
        name = account.display_name
        key = account.key
        if result.code == "no_credit":
            await self._note_no_credit(account)
            return None
        if result.code != "nothing_to_reset":
            await self._pool.record_reset_credit_spend(key, self._pool.clock(), redeem_id)
        await self._pool.clear_cooldown(key)
        await self._pool.usage.get(key, force=True)
        if result.code == "nothing_to_reset":
            return Spent(key, f"{name} had room again (its usage was out of date); no credit spent")
        log.info("spent 1 reset credit on %s", name)
        return Spent(key, f"spent 1 reset credit on {name}: its usage windows start over")

    async def _note_no_credit(self, account: StoredAccount) -> None:
        usage = self._pool.get(account.key).usage
        if usage is not None:
            await self._pool.record_usage(
                account.key, usage.model_copy(update={"reset_credits": 0})
            )


def _used_up(account: StoredAccount, now: float) -> bool:
    """Its included quota is used up: cooling down, or a window at 100 % as of now."""
    return cooldown_of(account, now) is not None or limit_of(account.usage, now) is not None


def _comes_back_at(account: StoredAccount, now: float) -> float | None:
    """When its included quota comes back: the cooldown's end, else the full window's
    reset; None when unknown."""
    cooldown = cooldown_of(account, now)
    if cooldown is not None:
        return cooldown
    limit = limit_of(account.usage, now)
    return limit.until if limit is not None else None


def _reset_or_never(account: StoredAccount, now: float) -> float:
    """Sorting key: an unknown reset counts as the furthest."""
    until = _comes_back_at(account, now)
    return float("inf") if until is None else until
