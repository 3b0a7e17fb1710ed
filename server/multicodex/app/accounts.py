"""The ``multicodex/accounts/*`` methods except import: listing, pinning, health checks,
removal, naming and resets, each one pool operation plus its answer."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from multicodex.app.errors import account_not_found, needs_reauth
from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.views import account_ref
from multicodex.model import StoredAccount
from multicodex.pool import AccountNeedsReauth, Pool, PoolError
from multicodex.pool.errors import failure_detail
from multicodex.pool.locks import LockTimeout
from multicodex.protocol import (
    AccountError,
    AccountsLabelParams,
    AccountsLabelResult,
    AccountsListParams,
    AccountsListResult,
    AccountsRefreshParams,
    AccountsRefreshResult,
    AccountsRemoveParams,
    AccountsRemoveResult,
    AccountsResetParams,
    AccountsResetResult,
    AccountsUseParams,
    AccountsUseResult,
)

LIST_REFRESH_SECONDS = 10.0
"""``refresh_stale`` answers after at most this long; slower fetches finish in the background."""
ACCOUNT_REFRESH_SECONDS = 10.0


class Accounts:
    def __init__(
        self,
        pool: Pool,
        snapshot: Callable[[], PoolSnapshot],
        background: Callable[[asyncio.Task[object]], None],
    ) -> None:
        self._pool = pool
        self._snapshot = snapshot
        self._background = background

    async def list(self, params: AccountsListParams) -> AccountsListResult:
        if params.refresh_stale:
            await self._refresh_stale()
        snapshot = self._snapshot()
        return AccountsListResult(
            accounts=snapshot.infos(),
            active=snapshot.active(),
            pinned_key=snapshot.pinned,
            needs_reauth_count=len(snapshot.needs_reauth()),
            no_accounts=not snapshot.accounts,
            updated_at=snapshot.now,
        )

    async def use(self, params: AccountsUseParams) -> AccountsUseResult:
        account = self._existing(params.key)
        try:
            await self._pool.tokens.valid(account.key)
        except AccountNeedsReauth as exc:
            raise needs_reauth(account_ref(account), exc.reason) from None
        except PoolError:
            pass  # a refresh that may pass (network): the next request tries again
        await self._pool.clear_cooldown(account.key)
        await self._pool.pin(account.key)
        snapshot = self._snapshot()
        active = snapshot.active()
        pinned = snapshot.find(account.key)
        assert active is not None and pinned is not None
        return AccountsUseResult(account=snapshot.info(pinned), active=active)

    async def refresh(self, params: AccountsRefreshParams) -> AccountsRefreshResult:
        keys = (
            [self._existing(params.key).key]
            if params.key is not None
            else [a.key for a in self._pool.accounts()]
        )
        failures = await asyncio.gather(*(self._refresh_one(k) for k in keys))
        snapshot = self._snapshot()
        concerned = [a for a in snapshot.accounts if a.key in keys]
        errors = [
            AccountError(account=account_ref(a), message=message)
            for a, message in zip(concerned, _in_order(concerned, keys, failures), strict=True)
            if message is not None
        ]
        reauth = len(snapshot.needs_reauth())
        refreshed = len(keys) - len(errors)
        return AccountsRefreshResult(
            refreshed=refreshed,
            failed=len(errors),
            needs_reauth=reauth,
            accounts=[snapshot.info(a) for a in concerned],
            errors=errors,
            summary=_refresh_summary(refreshed, len(keys), reauth),
        )

    async def remove(self, params: AccountsRemoveParams) -> AccountsRemoveResult:
        account = self._existing(params.key)
        before = self._snapshot()
        await self._pool.remove(account.key)
        return AccountsRemoveResult(
            removed=account_ref(account),
            was_active=before.active_key == account.key,
            was_pinned=before.pinned == account.key,
            active=self._snapshot().active(),
        )

    async def label(self, params: AccountsLabelParams) -> AccountsLabelResult:
        self._existing(params.key)
        label = (params.label or "").strip() or None
        saved = await self._pool.set_label(params.key, label)
        return AccountsLabelResult(account=self._snapshot().info(saved))

    async def reset(self, params: AccountsResetParams) -> AccountsResetResult:
        manual, quota = await self._pool.reset(params.target)
        return AccountsResetResult(
            target=params.target,
            manual_cleared=manual,
            quota_cleared=quota,
            summary=f"reset: target={params.target} manualCleared={'yes' if manual else 'no'} "
            f"quotaCleared={quota}",
        )

    # -- helpers ------------------------------------------------------------------------

    def _existing(self, key: str) -> StoredAccount:
        accounts = self._pool.accounts()
        found = next((a for a in accounts if a.key == key), None)
        if found is None:
            raise account_not_found(key, [a.key for a in accounts])
        return found

    async def _refresh_one(self, key: str) -> str | None:
        """Check the token and fetch usage; the failure in words, None on success."""
        asked_at = self._pool.clock()
        try:
            async with asyncio.timeout(ACCOUNT_REFRESH_SECONDS):
                account = await self._pool.refresh(key)
        except TimeoutError:
            return f"no answer within {ACCOUNT_REFRESH_SECONDS:g} s"
        except (PoolError, LockTimeout) as exc:
            return failure_detail(exc)
        usage = account.usage
        if usage is None or usage.fetched_at < asked_at:
            return account.usage_error or "usage could not be fetched"
        return None

    async def _refresh_stale(self) -> None:
        keys = [a.key for a in self._pool.accounts() if not a.needs_reauth]
        tasks = [asyncio.ensure_future(self._pool.usage.get(k)) for k in keys]
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=LIST_REFRESH_SECONDS)
        for task in pending:
            self._background(task)


def _in_order(
    concerned: list[StoredAccount], keys: list[str], failures: list[str | None]
) -> list[str | None]:
    """The failures of ``concerned`` (snapshot order) from ``failures`` (``keys`` order)."""
    by_key = dict(zip(keys, failures, strict=True))
    return [by_key.get(a.key) for a in concerned]


def _refresh_summary(refreshed: int, asked: int, reauth: int) -> str:
    """``refreshed 2 of 3 accounts; 1 needs a new login``."""
    text = f"refreshed {refreshed} of {asked} account{'' if asked == 1 else 's'}"
    if reauth:
        text += f"; {reauth} need{'s' if reauth == 1 else ''} a new login"
    return text
