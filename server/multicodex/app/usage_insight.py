"""The pool at a glance for the status, the usage history for usage/history, the
forecasts and the threshold notices. Reads and writes of the history database run in a
thread, never on the event loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.views import account_ref
from multicodex.forecast import pool_forecast
from multicodex.headroom import binding_limit, named_windows, pool_headroom, used_now
from multicodex.history import HistoryBackend, NotifiedKey, Observation, RecentObservations
from multicodex.model import GENERAL_BUCKET
from multicodex.protocol import (
    AccountRef,
    BindingInfo,
    PoolShare,
    PoolWindowInfo,
    UsageGlance,
    UsageHistoryParams,
    UsageHistoryResult,
    UsageNotice,
    UsageObservation,
)
from multicodex.timefmt import clock_time
from multicodex.usage_notices import POOL_SCOPE, Reading, decide

log = logging.getLogger(__name__)

DEFAULT_SPAN_SECONDS = 24 * 3600.0
FORECAST_SPAN_SECONDS = 7 * 24 * 3600.0


def usage_glance(snapshot: PoolSnapshot, forecasts: dict[str, str]) -> UsageGlance:
    now = snapshot.now
    active = snapshot.active_account()
    binding = binding_limit(active.usage if active is not None else None, now)
    refs = snapshot.refs()
    headroom = pool_headroom(snapshot.accounts, now)
    pool = [
        PoolWindowInfo(
            window=w.name,
            left=w.left,
            accounts=w.accounts,
            text=w.text,
            shares=[
                PoolShare(account=refs[s.key], left=s.left, resets_at=s.resets_at) for s in w.shares
            ],
            forecast=forecasts.get(w.name),
        )
        for w in headroom.windows
    ]
    pool_binding = headroom.binding
    parts = [binding.label(now)] if binding is not None else []
    if pool_binding is not None and len(snapshot.accounts) > 1:
        parts.append(pool_binding.text)
    return UsageGlance(
        binding=None
        if binding is None
        else BindingInfo(
            bucket=binding.bucket,
            window=binding.window_name,
            used_percent=binding.used,
            resets_at=binding.resets_at,
            label=binding.label(now),
        ),
        pool=pool,
        pool_binding=pool_binding.name if pool_binding is not None else None,
        text=" · ".join(parts) or None,
    )


def forecasts_of(rows: Sequence[Observation], now: float) -> dict[str, str]:
    """The pool's forecast per window of the general limit, in words."""
    by_window: dict[str, dict[str, list[Observation]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if row.bucket == GENERAL_BUCKET:
            by_window[row.window][row.account].append(row)
    return {
        window: pool_forecast(series, window, now).text(now) for window, series in by_window.items()
    }


def notice_readings(snapshot: PoolSnapshot) -> list[Reading]:
    """The active account's windows and the pool's, as the thresholds read them."""
    now = snapshot.now
    readings: list[Reading] = []
    active = snapshot.active_account()
    if active is not None:
        for named in named_windows(active.usage):
            used = used_now(named.window, now)
            if used is not None and named.window is not None:
                readings.append(Reading(active.key, named.name, used, named.window.resets_at))
    if len(snapshot.accounts) > 1:
        for window in pool_headroom(snapshot.accounts, now).windows:
            resets = [s.resets_at for s in window.shares if s.resets_at is not None]
            used = 100.0 * (1.0 - window.fraction_left)
            readings.append(Reading(POOL_SCOPE, window.name, used, min(resets, default=None)))
    return readings


def notice_message(reading: Reading, threshold: int, name: str | None, now: float) -> str:
    who = "the pool" if name is None else name
    text = f"{who} has used {round(reading.used)}% of its {reading.window} window"
    if reading.resets_at is not None:
        text += f" (resets {clock_time(reading.resets_at, now)})"
    return text


class UsageInsight:
    def __init__(
        self,
        database: HistoryBackend,
        snapshot: Callable[[], PoolSnapshot],
        notify: Callable[[UsageNotice], None],
        thresholds: Callable[[], tuple[Sequence[int], float]],
        *,
        recent: RecentObservations | None = None,
    ) -> None:
        self._database = database
        self._recent = recent
        """Seeded with every row read for the forecasts: the pre-flight's history, other
        processes' observations included."""
        self._snapshot = snapshot
        self._notify = notify
        self._thresholds = thresholds
        self.forecasts: dict[str, str] = {}
        self._announced: dict[NotifiedKey, float | None] | None = None
        self._checking = asyncio.Lock()
        self._active_seen: str | None = None
        """The active account at the last check: a different one now is re-based."""
        self._settling = 0

    async def history(self, params: UsageHistoryParams, key: str | None) -> UsageHistoryResult:
        snapshot = self._snapshot()
        since = params.since if params.since is not None else snapshot.now - DEFAULT_SPAN_SECONDS
        rows = await asyncio.to_thread(self._database.observations, since, key)
        refs = snapshot.refs()
        named = dict.fromkeys(r.account for r in rows)
        forecasts = forecasts_of(rows, snapshot.now) if key is None else {}
        return UsageHistoryResult(
            since=since,
            observations=[UsageObservation.model_validate(r, from_attributes=True) for r in rows],
            accounts=[refs.get(k) or AccountRef(key=k, display_name=k) for k in named],
            forecasts=list(forecasts.values()),
        )

    async def refresh_forecasts(self) -> None:
        now = self._snapshot().now
        rows = await asyncio.to_thread(self._database.observations, now - FORECAST_SPAN_SECONDS)
        self.forecasts = forecasts_of(rows, now)
        if self._recent is not None:
            self._recent.seed(rows)

    @contextlib.contextmanager
    def settling(self) -> Iterator[None]:
        """While every account's usage is fetched at once, the active account passes from
        one to the next as each one's use arrives: checks wait for the end of the block
        (the caller checks then), so only where the pool ends up is read."""
        self._settling += 1
        try:
            yield
        finally:
            self._settling -= 1

    async def check_thresholds(self) -> list[UsageNotice]:
        """Announce each threshold crossed since the last check (once; see usage_notices)."""
        async with self._checking:
            if self._announced is None:
                self._announced = await asyncio.to_thread(self._database.notified)
            if self._settling:  # read here: a check waiting on the lock may find it begun
                return []
            snapshot = self._snapshot()
            thresholds, margin = self._thresholds()
            active = snapshot.active_key
            switched = self._active_seen is not None and active != self._active_seen
            self._active_seen = active
            decision = decide(
                notice_readings(snapshot),
                self._announced,
                snapshot.now,
                thresholds,
                margin,
                rebased=[active] if switched and active is not None else [],
            )
            if not decision.remember and not decision.rearm:
                return []
            for key in decision.rearm:
                self._announced.pop(key, None)
            self._announced.update(decision.remember)
            await asyncio.to_thread(self._database.set_notified, decision.remember, decision.rearm)
            notices = [self._notice(snapshot, r, t) for r, t in decision.announce]
        for notice in notices:
            self._notify(notice)
        return notices

    def _notice(self, snapshot: PoolSnapshot, reading: Reading, threshold: int) -> UsageNotice:
        account = snapshot.find(reading.scope) if reading.scope != POOL_SCOPE else None
        name = account.display_name if account is not None else None
        return UsageNotice(
            scope="pool" if account is None else "account",
            account=account_ref(account) if account is not None else None,
            window=reading.window,
            threshold=threshold,
            used_percent=reading.used,
            resets_at=reading.resets_at,
            message=notice_message(reading, threshold, name, snapshot.now),
        )
