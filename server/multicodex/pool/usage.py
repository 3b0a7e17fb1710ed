"""Usage snapshots shared by every MultiCodex process through the store.

A snapshot younger than the TTL is used as is, whichever process fetched it; fetches are
single-flight per account across processes, so K processes and M accounts make M fetches
per TTL window. Response headers update the snapshot for free after every completion.
A failed fetch keeps the last good snapshot (its age tells the user how old it is).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable

from multicodex.codex.client import CodexClient
from multicodex.codex.errors import CodexFailure
from multicodex.history import HistoryRecorder, open_history
from multicodex.model import FailureKind, QuotaBucket, StoredAccount, UsageSnapshot
from multicodex.pool.errors import AccountNotFound, PoolError, failure_detail
from multicodex.pool.locks import AccountLocks
from multicodex.pool.tokens import TokenKeeper
from multicodex.store.backend import StoreBackend

log = logging.getLogger(__name__)

FAILED_FETCH_BACKOFF_SECONDS = 60.0
UNCHANGED_KEPT_SECONDS = 15.0
"""A headers snapshot saying what the store already holds, younger than this, is not
written again: only its time would change (and a snapshot this young is fresh to every
reader; the TTL is minutes)."""
USAGE_TIMEOUT_SECONDS = 10.0


class UsageKeeper:
    def __init__(
        self,
        store: StoreBackend,
        locks: AccountLocks,
        tokens: TokenKeeper,
        codex: CodexClient,
        clock: Callable[[], float],
        on_change: Callable[[], None],
    ) -> None:
        self._store = store
        self._locks = locks
        self._tokens = tokens
        self._codex = codex
        self._clock = clock
        self._on_change = on_change
        self._queued: dict[str, tuple[int, UsageSnapshot]] = {}
        """Per account: the newest recorded snapshot not written yet, and its number."""
        self._written: dict[str, int] = {}
        self._writing: dict[str, asyncio.Future[None]] = {}
        self._numbers = itertools.count(1)
        self.history = HistoryRecorder(open_history(store, clock))
        """Every snapshot adopted, endpoint's and headers' alike, is kept there too."""

    async def get(self, key: str, *, force: bool = False) -> UsageSnapshot | None:
        """The account's usage, fetched only when the shared snapshot is too old."""
        asked_at = self._clock()
        account = self._account(key)
        if not self._should_fetch(account, force, asked_at):
            return account.usage
        async with self._locks.hold(key, "usage"):
            account = self._account(key)
            if not self._should_fetch(account, force, asked_at):
                return account.usage
            return await self._fetch(account)

    async def record(self, key: str, snapshot: UsageSnapshot) -> None:
        """Adopt a snapshot parsed from response headers (no request needed).

        Returns once it is in the store. Snapshots of one account recorded while a write
        of that account's usage is under way are merged and written together: concurrent
        completions on one account would otherwise queue one store write each.
        """
        self.history.observe(key, snapshot)
        if self._already_stored(key, snapshot):
            return
        number = next(self._numbers)
        queued = self._queued.get(key)
        merged = snapshot if queued is None else merge_usage(queued[1], snapshot)
        self._queued[key] = (number, merged)
        while self._written.get(key, 0) < number:
            writing = self._writing.get(key)
            if writing is None:
                writing = self._writing[key] = asyncio.ensure_future(self._write_queued(key))
            await asyncio.shield(writing)

    async def _write_queued(self, key: str) -> None:
        try:
            number, snapshot = self._queued.pop(key)
            async with self._store.atransaction() as doc:
                account = doc.find(key)
                if account is not None:
                    account.usage = merge_usage(account.usage, snapshot)
                    account.usage_error = None
            self._written[key] = number
            if account is not None:
                self._on_change()
        finally:
            del self._writing[key]

    def _already_stored(self, key: str, snapshot: UsageSnapshot) -> bool:
        """Whether writing ``snapshot`` would change nothing but the snapshot's age, while
        the stored one is recent (no write of this account's usage under way either)."""
        if snapshot.source != "headers" or key in self._queued or key in self._writing:
            return False  # a fetch's snapshot is written: its time is what was asked for
        account = self._store.peek().find(key)
        stored = account.usage if account is not None else None
        if stored is None or account is None or account.usage_error is not None:
            return False
        if snapshot.fetched_at - stored.fetched_at >= UNCHANGED_KEPT_SECONDS:
            return False
        merged = merge_usage(stored, snapshot)
        return merged.model_copy(update={"fetched_at": stored.fetched_at}) == stored

    def _account(self, key: str) -> StoredAccount:
        account = self._store.peek().find(key)
        if account is None:
            raise AccountNotFound(key)
        return account

    def _should_fetch(self, account: StoredAccount, force: bool, asked_at: float) -> bool:
        if account.needs_reauth:
            return False
        usage = account.usage
        if force:
            # Another process fetched since we were asked: that is as fresh as ours would be.
            return usage is None or usage.fetched_at < asked_at
        ttl = self._store.peek().settings.usage_ttl_seconds
        now = self._clock()
        if usage is not None and now - usage.fetched_at < ttl:
            return False
        failed_at = account.usage_error_at
        return not (failed_at is not None and now - failed_at < FAILED_FETCH_BACKOFF_SECONDS)

    async def _fetch(self, account: StoredAccount) -> UsageSnapshot | None:
        try:
            snapshot = await self._fetch_with_fresh_token(account.key)
        except (CodexFailure, PoolError) as exc:
            if isinstance(exc, CodexFailure) and exc.kind is FailureKind.NEEDS_REAUTH:
                # Dead credentials (revoked, deactivated) are dead for requests too.
                await self._tokens.mark_needs_reauth(account.key, exc.message)
            await self._record_failure(account.key, failure_detail(exc))
            return account.usage
        await self.record(account.key, snapshot)
        return snapshot

    async def _fetch_with_fresh_token(self, key: str) -> UsageSnapshot:
        account = await self._tokens.valid(key)
        try:
            return await self._call(account)
        except CodexFailure as exc:
            if exc.kind is not FailureKind.AUTH_EXPIRED:
                raise
        account = await self._tokens.valid(key, rejected_access_token=account.tokens.access_token)
        return await self._call(account)

    async def _call(self, account: StoredAccount) -> UsageSnapshot:
        return await self._codex.fetch_usage(
            access_token=account.tokens.access_token,
            account_id=account.account_id,
            timeout=USAGE_TIMEOUT_SECONDS,
        )

    async def _record_failure(self, key: str, message: str) -> None:
        # Said by whoever asked (the refresh command, the status's usage_error), not here.
        log.info("usage fetch failed for %s: %s", key.split("|")[0], message)
        async with self._store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                return
            account.usage_error = message
            account.usage_error_at = self._clock()
        self._on_change()


def merge_usage(old: UsageSnapshot | None, new: UsageSnapshot) -> UsageSnapshot:
    """An endpoint snapshot replaces everything, buckets included; a headers snapshot
    updates only what it carries. Headers may lack a window the endpoint reported, and a
    Spark answer carries Spark's windows only: the account's general windows, whether
    they are at their limit and how old they are stay as they were."""
    if old is None or new.source == "endpoint":
        return new
    update: dict[str, object] = {
        "five_hour": new.five_hour or old.five_hour,
        "weekly": new.weekly or old.weekly,
        "plan_type": new.plan_type or old.plan_type,
        "credits": new.credits or old.credits,
        "reset_credits": old.reset_credits if new.reset_credits is None else new.reset_credits,
        "buckets": _merge_buckets(old.buckets, new.buckets),
    }
    if new.five_hour is None and new.weekly is None:
        update.update(limit_reached=old.limit_reached, fetched_at=old.fetched_at, source=old.source)
    return new.model_copy(update=update)


def _merge_buckets(
    old: dict[str, QuotaBucket], new: dict[str, QuotaBucket]
) -> dict[str, QuotaBucket]:
    merged = dict(old)
    for bucket_id, bucket in new.items():
        known = old.get(bucket_id)
        if known is not None:
            bucket = bucket.model_copy(
                update={
                    "five_hour": bucket.five_hour or known.five_hour,
                    "weekly": bucket.weekly or known.weekly,
                    "limit_name": bucket.limit_name or known.limit_name,
                }
            )
        merged[bucket_id] = bucket
    return merged
