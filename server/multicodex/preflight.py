"""Before a request: may this turn use up the chosen account's room, or the whole pool's?

Pure: ``now`` is a parameter and the history comes from the in-memory recent
observations (a request never waits on the database). A turn's cost is the median recent
rise of the window from one answer's headers to the next (`forecast.turn_cost`); the
account is at risk in a window whose room left is no more than that, the pool when the
room its usable accounts have left in that window together is less than that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from multicodex.forecast import turn_cost
from multicodex.headroom import NamedWindow, cooldown_of, named_windows, upcoming_reset, used_now
from multicodex.history import Observation, RecentObservations
from multicodex.model import GENERAL_BUCKET, StoredAccount, bucket_label
from multicodex.timefmt import clock_time

HEADERS_SOURCE = "headers"


@dataclass(frozen=True)
class Preflight:
    """What the start notice says before the request goes out."""

    text: str
    """``alice may reach its 5h limit during this turn (3% left, a turn uses about 5%); bob
    is next``."""
    pool_runs_out: bool
    earliest_reset: float | None
    """Only when the pool may run out and the request does not wait by itself: the first
    reset of that window in the pool, for the client to offer the wait."""


@dataclass(frozen=True)
class AtRisk:
    """A window of the chosen account that one more turn may use up."""

    named: NamedWindow
    label: str
    """``5h``; a model's own limit says whose: ``Spark 5h``."""
    left: float
    cost: float


@dataclass(frozen=True)
class PreflightRequest:
    account: StoredAccount
    accounts: Sequence[StoredAccount]
    """The accounts the request may use (the pool's room is theirs)."""
    bucket: str
    recent: RecentObservations
    now: float
    waits_by_itself: bool
    """The request has its own wait_for_reset_seconds."""
    next_account: Callable[[], str | None]
    """The name of the account that would serve if this one could not (asked only when
    the account is at risk)."""


def preflight(request: PreflightRequest) -> Preflight | None:
    """None when the turn fits (or nothing is known about what a turn costs)."""
    risk = at_risk(request.account, request.bucket, request.recent, request.now)
    if risk is None:
        return None
    name = request.account.display_name
    text = (
        f"{name} may reach its {risk.label} limit during this turn "
        f"({_percent(risk.left)} left, a turn uses about {_percent(risk.cost)})"
    )
    pool_left, resets = pool_room(request.accounts, request.bucket, risk.named, request.now)
    if len(request.accounts) > 1 and pool_left >= risk.cost:
        following = request.next_account()
        text += f"; {following} is next" if following else "; no other account has room now"
        return Preflight(text, pool_runs_out=False, earliest_reset=None)
    if len(request.accounts) > 1:
        text += f", and the pool with it ({_percent(pool_left)} left across the accounts)"
    earliest = min(resets, default=None)
    if request.waits_by_itself or earliest is None:
        return Preflight(text, pool_runs_out=True, earliest_reset=None)
    text += f"; the earliest reset is {clock_time(earliest, request.now)}"
    return Preflight(text, pool_runs_out=True, earliest_reset=earliest)


def at_risk(
    account: StoredAccount, bucket: str, recent: RecentObservations, now: float
) -> AtRisk | None:
    """The window of ``bucket`` closest to being used up by one turn, if one may be."""
    pair = account.usage.bucket(bucket) if account.usage is not None else None
    risks: list[AtRisk] = []
    for named in named_windows(pair):
        used = used_now(named.window, now)
        if used is None:
            continue
        cost = recent.summary(account.key, bucket, named.name, _turn_cost)
        if cost is not None and 100.0 - used <= cost:
            risks.append(AtRisk(named, _label(bucket, named), 100.0 - used, cost))
    return min(risks, key=lambda r: r.left / r.cost, default=None)


def pool_room(
    accounts: Sequence[StoredAccount], bucket: str, like: NamedWindow, now: float
) -> tuple[float, list[float]]:
    """Percentage points left in ``like``'s slot across the accounts that need no new
    login (a cooling one has none), and the upcoming resets of that slot."""
    left = 0.0
    resets: list[float] = []
    for account in accounts:
        if account.needs_reauth:
            continue
        pair = account.usage.bucket(bucket) if account.usage is not None else None
        window = next((w.window for w in named_windows(pair) if w.slot == like.slot), None)
        used = used_now(window, now)
        if used is None:
            continue
        if cooldown_of(account, now) is None:
            left += 100.0 - used
        reset = upcoming_reset(window, now)
        if reset is not None:
            resets.append(reset)
    return left, resets


def _turn_cost(series: Sequence[Observation]) -> float | None:
    return turn_cost(_turn_starts(series))


def _turn_starts(series: Sequence[Observation]) -> list[Observation]:
    """The observations an answer's headers made: each tells the use as a turn began, so
    the rise between two is what a turn took. A usage fetch may come after any amount of
    use elsewhere (or none), so it says nothing of a turn."""
    return [o for o in series if o.source == HEADERS_SOURCE]


def _label(bucket: str, named: NamedWindow) -> str:
    if bucket == GENERAL_BUCKET:
        return named.name
    return f"{bucket_label(bucket)} {named.name}"


def _percent(value: float) -> str:
    rounded = round(value, 1)
    return f"{rounded:.0f}%" if rounded >= 10 or rounded == int(rounded) else f"{rounded:.1f}%"
