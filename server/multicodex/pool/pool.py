"""Pool operations used alike by the rotation engine, the JSON-RPC server and the CLI."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Literal

import httpx2

from multicodex.auth.importers.common import ImportedCredentials
from multicodex.codex.client import CodexClient
from multicodex.config import Endpoints
from multicodex.model import BucketCooldown, ModelGate, StoredAccount, UsageSnapshot
from multicodex.pool.errors import AccountNotFound, AmbiguousAccount, PoolError
from multicodex.pool.locks import account_locks
from multicodex.pool.membership import CredentialOutcome, upsert_account
from multicodex.pool.tokens import TokenKeeper
from multicodex.pool.usage import UsageKeeper
from multicodex.store.backend import StoreBackend
from multicodex.store.schema import StoreDocument

log = logging.getLogger(__name__)

ResetTarget = Literal["manual", "quota", "all"]
Listener = Callable[[], None]


class Pool:
    """Accounts, the manual pin, cooldowns, fresh tokens and shared usage."""

    def __init__(
        self,
        store: StoreBackend,
        endpoints: Endpoints,
        http: httpx2.AsyncClient,
        codex: CodexClient,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.endpoints = endpoints
        self.http = http
        self.codex = codex
        self.clock = clock
        self._listeners: list[Listener] = []
        locks = account_locks(store)
        self.tokens = TokenKeeper(store, locks, http, endpoints, clock, self._changed)
        self.usage = UsageKeeper(store, locks, self.tokens, codex, clock, self._changed)

    # -- observation -----------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def watch_store(self) -> Callable[[], None]:
        """Tell the listeners when another process or machine changed the store, when the
        store says so by itself (a database: at once); returns the function that stops.
        Call it on the event loop the listeners run on."""
        watch = getattr(self.store, "watch", None)
        if watch is None:
            return lambda: None
        loop = asyncio.get_running_loop()

        def changed_elsewhere() -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(self._changed)

        stop: Callable[[], None] = watch(changed_elsewhere)
        return stop

    def _changed(self) -> None:
        for listener in list(self._listeners):
            try:
                listener()
            except Exception:  # a broken listener must not break the pool
                log.exception("pool listener failed")

    def document(self) -> StoreDocument:
        """The store's current document, shared: read it, never change it (every change
        goes through a store transaction)."""
        return self.store.peek()

    def accounts(self) -> list[StoredAccount]:
        return self.document().accounts

    def get(self, key: str) -> StoredAccount:
        account = self.document().find(key)
        if account is None:
            raise AccountNotFound(key)
        return account

    def resolve(self, identifier: str) -> StoredAccount:
        """Find an account by key, email, label or account id (case-insensitive).

        A unique prefix of an email or label also matches, so `use ali` finds alice@x.
        """
        wanted = identifier.strip().lower()
        accounts = self.accounts()
        for account in accounts:
            names = {account.key, account.email, account.label, account.account_id}
            if wanted in {n.lower() for n in names if n}:
                return account
        prefixed = [
            a
            for a in accounts
            if any(n and n.lower().startswith(wanted) for n in (a.email, a.label))
        ]
        if len(prefixed) == 1 and wanted:
            return prefixed[0]
        if len(prefixed) > 1 and wanted:
            raise AmbiguousAccount(identifier, [a.display_name for a in prefixed])
        raise AccountNotFound(identifier)

    # -- pin and active --------------------------------------------------------------

    @property
    def pinned(self) -> str | None:
        """The manual pin: one fact in the store, honoured by every process."""
        doc = self.document()
        return doc.pinned if doc.pinned and doc.find(doc.pinned) else None

    async def pin(self, key: str | None) -> None:
        """Pin ``key`` (None: unpin) for every process sharing the store."""
        if key is not None:
            self.get(key)
        async with self.store.atransaction() as doc:
            doc.pinned = key
            if key is not None:
                doc.active = key
        self._changed()

    @property
    def active(self) -> str | None:
        pinned = self.pinned
        if pinned:
            return pinned
        doc = self.document()
        return doc.active if doc.active and doc.find(doc.active) else None

    async def set_active(self, key: str) -> None:
        if self.document().active == key:
            return
        async with self.store.atransaction() as doc:
            doc.active = key
            account = doc.find(key)
            if account is not None:
                account.last_used_at = self.clock()
        self._changed()

    # -- membership ------------------------------------------------------------------

    async def add_credentials(
        self, imported: Sequence[ImportedCredentials]
    ) -> list[tuple[StoredAccount, CredentialOutcome]]:
        """Put logged-in or imported credentials into the pool, one slot per identity.

        Returns each account as saved and whether it was added, got new tokens (updated;
        this clears needs-reauth), already held these tokens (unchanged) or holds newer
        ones than these (kept: older tokens never replace newer ones).
        """
        now = self.clock()
        saved: list[tuple[StoredAccount, CredentialOutcome]] = []
        async with self.store.atransaction() as doc:
            for creds in imported:
                account, outcome = upsert_account(doc, creds, now)
                saved.append((account.model_copy(deep=True), outcome))
        self._changed()
        return saved

    async def set_label(self, key: str, label: str | None) -> StoredAccount:
        """Set or clear the display name; the identity never changes."""
        async with self.store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                raise AccountNotFound(key)
            account.label = label
            saved = account.model_copy(deep=True)
        self._changed()
        return saved

    async def remove(self, key: str) -> StoredAccount:
        async with self.store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                raise AccountNotFound(key)
            doc.accounts.remove(account)
            if doc.active == key:
                doc.active = None
            if doc.pinned == key:
                doc.pinned = None
        self._changed()
        return account

    # -- health ----------------------------------------------------------------------

    async def set_cooldown(self, key: str, until: float, reason: str) -> None:
        async with self.store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                return
            account.cooldown_until = until
            account.cooldown_reason = reason
        self._changed()

    async def set_bucket_cooldown(self, key: str, bucket: str, cooldown: BucketCooldown) -> None:
        """A model-scoped limit (Spark's) is exhausted: the account serves other models."""
        async with self.store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                return
            now = self.clock()
            account.bucket_cooldowns = {
                **{b: c for b, c in account.bucket_cooldowns.items() if c.until > now},
                bucket: cooldown,
            }
        self._changed()

    async def set_model_gate(self, key: str, model: str, gate: ModelGate) -> None:
        """The account cannot serve ``model`` (see ``ModelGate``); gates older than a day
        are dropped on the way."""
        async with self.store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                return
            recent = gate.at - 24 * 3600
            account.model_gates = {
                **{m: g for m, g in account.model_gates.items() if g.at > recent},
                model: gate,
            }
        self._changed()

    async def clear_cooldown(self, key: str) -> bool:
        """End one account's cooldown now; returns whether it was cooling down."""
        cleared = False
        async with self.store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                raise AccountNotFound(key)
            cleared = account.cooldown_until is not None and account.cooldown_until > self.clock()
            account.cooldown_until = None
            account.cooldown_reason = None
        self._changed()
        return cleared

    async def record_reset_credit_spend(self, key: str, at: float, redeem_id: str) -> None:
        """A reset credit was spent on ``key``: every process on the store sees it."""
        async with self.store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                return
            account.reset_credit_spent_at = at
            account.reset_credit_redeem_id = redeem_id
        self._changed()

    async def mark_needs_reauth(self, key: str, reason: str) -> None:
        await self.tokens.mark_needs_reauth(key, reason)

    async def record_usage(self, key: str, snapshot: UsageSnapshot) -> None:
        await self.usage.record(key, snapshot)

    async def reset(self, target: ResetTarget) -> tuple[bool, int]:
        """Clear the manual pin and/or every cooldown, model limit cooldowns and model gates
        included; returns (pin cleared, cooldowns cleared)."""
        manual_cleared = False
        if target in ("manual", "all"):
            manual_cleared = self.pinned is not None
        cleared = 0
        async with self.store.atransaction() as doc:
            if target in ("manual", "all"):
                doc.pinned = None
            if target in ("quota", "all"):
                for account in doc.accounts:
                    if account.cooldown_until is not None:
                        cleared += account.cooldown_until > self.clock()
                        account.cooldown_until = None
                        account.cooldown_reason = None
                    account.bucket_cooldowns = {}
                    # A gate the backend still holds comes back with its next 400.
                    account.model_gates = {}
        self._changed()
        return manual_cleared, cleared

    async def refresh(self, key: str) -> StoredAccount:
        """Make sure the token is valid and fetch fresh usage for one account."""
        await self.tokens.valid(key)
        await self.usage.get(key, force=True)
        return self.get(key)

    async def refresh_all(self) -> tuple[int, int]:
        """Refresh every account; returns (accounts refreshed, accounts needing re-auth)."""
        keys = [a.key for a in self.accounts() if not a.needs_reauth]
        results = await asyncio.gather(*(self.refresh(k) for k in keys), return_exceptions=True)
        for key, result in zip(keys, results, strict=True):
            if isinstance(result, PoolError):
                log.warning("refresh of %s failed: %s", key.split("|")[0], result)
            elif isinstance(result, BaseException):
                raise result
        accounts = self.accounts()
        return len(accounts), sum(a.needs_reauth for a in accounts)
