"""The status model (the footer and everything around it) and when to push it.

`StatusFeed` recomputes the status from a fresh pool snapshot and publishes it only when
something other than the time of computation changed; ``revision`` counts those changes.
Refreshes requested within `REFRESH_SETTLE_SECONDS` of each other coalesce into one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.usage_insight import usage_glance
from multicodex.app.views import account_ref
from multicodex.footer import FooterLine, format_footer
from multicodex.model import FooterSettings
from multicodex.protocol import ProxyStatus, Status

log = logging.getLogger(__name__)

TICK_JITTER = 0.1
"""Periodic refreshes of several windows drift apart by up to ±10 %."""
REFRESH_SETTLE_SECONDS = 0.05
"""A pool change is published this long after it happened, together with the changes that
came meanwhile. Every completion changes the pool (its usage) as it ends, and a status
costs a few tenths of a millisecond to build: recomputed at once, it ran just as the next
request of an agent's tool loop arrived, delaying that request, and a burst of parallel
completions recomputed it once per completion. 50 ms is well below what a footer reader
notices."""


def footer_line(snapshot: PoolSnapshot, settings: FooterSettings | None = None) -> FooterLine:
    """The footer: the pool's state and the account the next request would use."""
    return format_footer(snapshot.facts(), settings or snapshot.footer, snapshot.now)


def build_status(
    snapshot: PoolSnapshot,
    revision: int,
    forecasts: Mapping[str, str] | None = None,
    proxy: ProxyStatus | None = None,
) -> Status:
    facts = snapshot.facts()
    footer = format_footer(facts, snapshot.footer, snapshot.now)
    exhausted = footer.state == "exhausted"
    return Status(
        revision=revision,
        active=snapshot.active(),
        footer=footer,
        accounts=snapshot.infos(),
        needs_reauth=[account_ref(a) for a in snapshot.needs_reauth()],
        no_accounts=not snapshot.accounts,
        all_exhausted=exhausted,
        earliest_reset=facts.next_reset if exhausted else None,
        stale=snapshot.active_is_stale(),
        updated_at=snapshot.now,
        glance=usage_glance(snapshot, dict(forecasts or {})),
        proxy=proxy,
    )


_CLOCK_FIELDS: dict[str, Any] = {
    "revision": True,
    "updated_at": True,
    "accounts": {"__all__": {"usage": {"age_seconds"}}},
}


def comparable(status: Status) -> bytes:
    """What a change is judged on: everything but the clock (revision, times, ages), as a
    digest (the status itself grows with the pool; kept until the next change)."""
    text = status.model_dump_json(exclude=_CLOCK_FIELDS)
    return hashlib.sha256(text.encode()).digest()


class StatusFeed:
    """Computes the status on demand and publishes each change once."""

    def __init__(
        self,
        snapshot: Callable[[], PoolSnapshot],
        publish: Callable[[Status], None],
        forecasts: Callable[[], Mapping[str, str]] = dict,
    ) -> None:
        self._snapshot = snapshot
        self._forecasts = forecasts
        self._publish = publish
        self._revision = 0
        self._last: bytes | None = None
        self._publishing = False
        self._scheduled = False
        self.proxy_status: Callable[[], ProxyStatus | None] = lambda: None
        """The in-process Codex CLI proxy's state (set by the server when it runs one)."""

    def current(self) -> Status:
        """The status now; a change bumps the revision and is published."""
        status, changed = self._compute()
        if changed and self._publishing:
            self._publish(status)
        return status

    def start_publishing(self) -> Status | None:
        """Publish from now on, starting with the current status even if unchanged (None
        when it cannot be computed now, e.g. the store is unusable)."""
        self._publishing = True
        return self.publish_now()

    def publish_now(self) -> Status | None:
        """Publish the current status even if unchanged, e.g. after the store was
        recovered (None when it cannot be computed now, or publishing has not started)."""
        if not self._publishing:
            return None
        try:
            status, _changed = self._compute()
        except Exception as exc:
            log.warning("could not compute the status: %s", type(exc).__name__)
            return None
        self._publish(status)
        return status

    def request_refresh(self) -> None:
        """Recompute in `REFRESH_SETTLE_SECONDS`; requests made before then share that
        recomputation."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._refresh_quietly()
            return
        if not self._scheduled:
            self._scheduled = True
            loop.call_later(REFRESH_SETTLE_SECONDS, self._run_scheduled)

    def _run_scheduled(self) -> None:
        self._scheduled = False
        self._refresh_quietly()

    def _refresh_quietly(self) -> None:
        try:
            self.current()
        except Exception as exc:  # the store may be unusable; requests report that
            log.warning("could not compute the status: %s", type(exc).__name__)

    def _compute(self) -> tuple[Status, bool]:
        status = build_status(
            self._snapshot(), self._revision, self._forecasts(), self.proxy_status()
        )
        key = comparable(status)
        changed = key != self._last
        if changed:
            self._revision += 1
            self._last = key
        return status.model_copy(update={"revision": self._revision}), changed


async def tick_forever(
    interval: float, work: Callable[[], Awaitable[None]], feed: StatusFeed
) -> None:
    """Every ``interval`` seconds (jittered): ``work``, then a status refresh.

    Runs until cancelled; a failing round is logged and the next one still comes.
    """
    while True:
        try:
            await work()
        except Exception as exc:
            log.warning("periodic status refresh failed: %s", type(exc).__name__)
        feed.request_refresh()
        await asyncio.sleep(interval * random.uniform(1 - TICK_JITTER, 1 + TICK_JITTER))
