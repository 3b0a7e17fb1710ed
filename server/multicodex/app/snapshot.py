"""One consistent look at the pool: accounts, pin, settings in force and the account the
next request would use. Everything the protocol lists is built from a snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from multicodex.app.views import account_info, account_ref, active_account, usage_is_stale
from multicodex.app.workspace import WHY as WORKSPACE_WHY
from multicodex.footer import PoolFacts
from multicodex.headroom import Wait, earliest, wait_of
from multicodex.model import FooterSettings, RotationPolicy, StoredAccount
from multicodex.pool import Pool
from multicodex.protocol import AccountInfo, AccountRef, ActiveAccount
from multicodex.selection import Selection, SelectionRequest, get_strategy


@dataclass(frozen=True)
class PoolSnapshot:
    accounts: list[StoredAccount]
    pinned: str | None
    policy: RotationPolicy
    footer: FooterSettings
    usage_ttl: float
    now: float
    workspace_key: str | None = None
    """This window's own account, which is the active one whenever it is set."""

    @cached_property
    def selection(self) -> Selection:
        """The account the next request would get: ranked on first use only (over the
        whole pool, which a request's own selection does not need)."""
        return self._choose()

    @classmethod
    def take(cls, pool: Pool, workspace_key: str | None = None) -> PoolSnapshot:
        doc = pool.document()
        return cls(
            accounts=doc.accounts,
            pinned=pool.pinned,
            policy=doc.settings.rotation,
            footer=doc.settings.footer,
            usage_ttl=doc.settings.usage_ttl_seconds,
            now=pool.clock(),
            workspace_key=workspace_key,
        )

    @property
    def active_key(self) -> str | None:
        return self.selection.key

    def find(self, key: str) -> StoredAccount | None:
        return next((a for a in self.accounts if a.key == key), None)

    def refs(self) -> dict[str, AccountRef]:
        return {a.key: account_ref(a) for a in self.accounts}

    def ref(self, key: str) -> AccountRef | None:
        account = self.find(key)
        return account_ref(account) if account is not None else None

    def info(self, account: StoredAccount) -> AccountInfo:
        return account_info(
            account,
            now=self.now,
            ttl=self.usage_ttl,
            active_key=self.active_key,
            pinned_key=self.pinned,
            usage_mode=self.footer.usage_mode,
        )

    def infos(self) -> list[AccountInfo]:
        return [self.info(a) for a in self.accounts]

    def active(self) -> ActiveAccount | None:
        names = {a.key: a.display_name for a in self.accounts}
        return active_account(self.selection, names)

    def active_account(self) -> StoredAccount | None:
        return self.find(self.active_key) if self.active_key else None

    def active_is_stale(self) -> bool:
        account = self.active_account()
        return account is not None and usage_is_stale(account, self.now, self.usage_ttl)

    def needs_reauth(self) -> list[StoredAccount]:
        return [a for a in self.accounts if a.needs_reauth]

    def waits(self) -> list[Wait]:
        """One per account that needs no new login but cannot serve now (cooling down or
        at a limit)."""
        waits = (wait_of(a, self.now) for a in self.accounts if not a.needs_reauth)
        return [w for w in waits if w is not None]

    def facts(self) -> PoolFacts:
        """The pool as the footer tells it."""
        account = self.active_account()
        waits = self.waits()
        return PoolFacts(
            accounts=len(self.accounts),
            active_name=account.display_name if account is not None else None,
            active_is_workspace=account is not None and account.key == self.workspace_key,
            active_usage=account.usage if account is not None else None,
            active_stale=self.active_is_stale(),
            waiting=len(waits),
            next_reset=earliest(waits),
            needs_reauth=[a.display_name for a in self.needs_reauth()],
        )

    def _choose(self) -> Selection:
        """The account the next request would get."""
        workspace = self.find(self.workspace_key) if self.workspace_key else None
        if workspace is not None:
            return workspace_selection(workspace, self.policy.strategy)
        return get_strategy(self.policy.strategy).choose(
            SelectionRequest(
                accounts=self.accounts,
                now=self.now,
                pinned=self.pinned,
                sticky=self.policy.sticky,
            )
        )


def workspace_selection(account: StoredAccount, strategy: str) -> Selection:
    """This window's own account, chosen because the workspace names it."""
    return Selection(
        key=account.key,
        reason=f"{account.display_name}: {WORKSPACE_WHY}",
        why=WORKSPACE_WHY,
        rule="workspace",
        strategy=strategy,
    )
