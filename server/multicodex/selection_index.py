"""The default strategy's choice without ranking the whole pool per request.

`multicodex.selection` builds every account's standing and ranks them on each call: fine
for a few accounts, 50 ms for 10,000. A `SelectionIndex` ranks the pool once per kind of
request (model, client version, plan lists) and keeps that order while nothing can change
it: the accounts are the same (the caller passes the object they were read from) and no
cooldown, window reset, limit cooldown or model gate has ended since (the earliest such
moment is kept; past it the index is built again). A request then walks the order past
the accounts it excluded; the pin and the conversation's account are looked up directly.

`choose` gives the whole `Selection` the pure function gives (the property tests hold the
two to the same answer, words included): the pure function runs over the few accounts the
words can name, in pool order: the one picked, the pin, the conversation's account and
every account skipped (whose number the words give).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from multicodex.model import StoredAccount
from multicodex.model.quota import GENERAL_BUCKET, bucket_for_model
from multicodex.model_access import GATE_LIFETIME_SECONDS, model_block
from multicodex.paid_credits import serves_only_on_paid_credits
from multicodex.selection import (
    AccountStanding,
    Selection,
    SelectionRequest,
    _standing,
    availability,
    get_strategy,
)

DEFAULT = get_strategy("default")
RankKey = tuple[int, float, float, int]
ViewKey = tuple[str | None, str, tuple[tuple[str, tuple[str, ...]], ...]]


@dataclass(frozen=True)
class _View:
    """The pool as one kind of request sees it: the accounts that may serve it, best
    first, and their standings."""

    order: tuple[str, ...]
    standings: dict[str, AccountStanding]
    positions: dict[str, int]
    unavailable: tuple[int, ...]
    """Positions of the accounts skipped whatever the request excludes, in pool order."""


class SelectionIndex:
    """Kept by whoever holds the pool's accounts; `pick` is called per request."""

    def __init__(self) -> None:
        self._source: object = None
        self._valid_until = -math.inf
        self._built_at = math.inf
        self._views: dict[ViewKey, _View] = {}

    def choose(self, request: SelectionRequest, source: object) -> Selection:
        """What ``get_strategy("default").choose(request)`` answers."""
        view = self._view(request, source)
        picked = self._pick(request, view)
        named = {picked, request.pinned, request.affinity, *request.excluded}
        places = {view.positions[k] for k in named if k is not None and k in view.positions}
        places.update(view.unavailable)
        accounts = request.accounts
        few = [accounts[i] for i in sorted(places)]
        return DEFAULT.choose(request.model_copy(update={"accounts": few}))

    def pick(self, request: SelectionRequest, source: object) -> str | None:
        """The key the default strategy would choose for ``request``; None when no
        account may serve it. ``source`` is the same object exactly as long as the
        accounts are the same (the store document they were read from, say): a request
        copies its list of accounts, so that list cannot say so."""
        return self._pick(request, self._view(request, source))

    def _pick(self, request: SelectionRequest, view: _View) -> str | None:
        excluded = request.excluded
        pinned = request.pinned
        if pinned is not None and pinned in view.standings and pinned not in excluded:
            return pinned
        affinity = request.affinity
        if request.sticky and affinity is not None and affinity not in excluded:
            standing = view.standings.get(affinity)
            if standing is not None and not standing.exhausted:
                return affinity
        return next((key for key in view.order if key not in excluded), None)

    def _view(self, request: SelectionRequest, source: object) -> _View:
        now = request.now
        if source is not self._source or now >= self._valid_until or now < self._built_at:
            self._source = source
            self._built_at = now
            self._valid_until = _next_change(request.accounts, now)
            self._views = {}
        key = _view_key(request)
        view = self._views.get(key)
        if view is None:
            view = self._views[key] = _build(request)
        return view


def _view_key(request: SelectionRequest) -> ViewKey:
    plans = tuple(sorted((plan, tuple(sorted(m))) for plan, m in request.plan_models.items()))
    return (request.model, request.client_version, plans)


def _build(request: SelectionRequest) -> _View:
    """Every account that may serve the request's model now (exclusions aside), ranked."""
    now = request.now
    bucket = bucket_for_model(request.model)
    standings: dict[str, AccountStanding] = {}
    positions: dict[str, int] = {}
    unavailable: list[int] = []
    for position, account in enumerate(request.accounts):
        positions[account.key] = position
        if (
            availability(account, now) != "available"
            or _blocked(request, account)
            or (bucket == GENERAL_BUCKET and serves_only_on_paid_credits(account, now))
        ):
            unavailable.append(position)
            continue
        standings[account.key] = _standing(account, position, now, bucket)
    ranked = sorted(standings.values(), key=_rank)
    return _View(
        order=tuple(s.account.key for s in ranked),
        standings=standings,
        positions=positions,
        unavailable=tuple(unavailable),
    )


def _blocked(request: SelectionRequest, account: StoredAccount) -> bool:
    if request.model is None:
        return False
    block = model_block(
        account,
        request.model,
        now=request.now,
        plan_models=request.plan_models,
        client_version=request.client_version,
    )
    return block is not None


def _rank(standing: AccountStanding) -> RankKey:
    """The default strategy's preference as one sort key: untouched accounts, then those
    with headroom (both least used first, earliest weekly reset, pool order); then those
    without usage data, used least recently first; exhausted accounts last."""
    if not standing.has_data:
        return (2, standing.account.last_used_at or 0.0, 0.0, standing.position)
    peak, reset, position = standing.calm_order
    if standing.untouched:
        return (0, peak, reset, position)
    if standing.has_headroom:
        return (1, peak, reset, position)
    return (3, peak, reset, position)


def _next_change(accounts: Sequence[StoredAccount], now: float) -> float:
    """The first moment after ``now`` at which some account's standing or availability
    may change by itself: a cooldown ending, a window resetting, a gate expiring."""
    earliest = math.inf
    for account in accounts:
        for moment in _moments(account):
            if now < moment < earliest:
                earliest = moment
    return earliest


def _moments(account: StoredAccount) -> list[float]:
    moments: list[float] = []
    if account.cooldown_until is not None:
        moments.append(account.cooldown_until)
    moments += [c.until for c in account.bucket_cooldowns.values()]
    moments += [g.at + GATE_LIFETIME_SECONDS for g in account.model_gates.values()]
    usage = account.usage
    if usage is not None:
        for pair in (usage, *usage.buckets.values()):
            for window in (pair.five_hour, pair.weekly):
                if window is not None and window.resets_at is not None:
                    moments.append(window.resets_at)
    return moments
