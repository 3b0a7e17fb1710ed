"""Fresh access tokens without ever spending a refresh token twice.

A refresh token is single-use. Inside one process a per-account lock makes refreshes
single-flight; across processes the same lock is a file lock, and whoever gets it second
re-reads the store and adopts the tokens the first one saved instead of refreshing again.
Accounts linked to another tool's credential file re-read that file first (the other tool
may have refreshed) and write refreshed tokens back so the other tool keeps working.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import httpx2

from multicodex.auth.importers import newer_linked_tokens, write_back
from multicodex.auth.refresh import RefreshError, refresh_tokens
from multicodex.config import Endpoints
from multicodex.pool.errors import AccountNeedsReauth, AccountNotFound, TokenRefreshFailed
from multicodex.pool.locks import AccountLocks
from multicodex.store.document import Store
from multicodex.store.schema import StoredAccount, TokenSet

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 300.0
"""Refresh when the access token has less than five minutes left (as the Codex CLI does)."""


def needs_refresh(tokens: TokenSet, now: float) -> bool:
    return tokens.expires_at - now <= REFRESH_MARGIN_SECONDS


class TokenKeeper:
    def __init__(
        self,
        store: Store,
        locks: AccountLocks,
        http: httpx2.AsyncClient,
        endpoints: Endpoints,
        clock: Callable[[], float],
        on_change: Callable[[], None],
    ) -> None:
        self._store = store
        self._locks = locks
        self._http = http
        self._endpoints = endpoints
        self._clock = clock
        self._on_change = on_change

    async def valid(self, key: str, *, rejected_access_token: str | None = None) -> StoredAccount:
        """The account with an access token that is good for at least five minutes.

        `rejected_access_token` is the token the backend just answered 401 to: it forces a
        refresh unless another process has already replaced that token.
        """
        account = self._current(key)
        if not self._must_refresh(account, rejected_access_token):
            return account
        async with self._locks.hold(key, "refresh"):
            account = self._current(key)
            if not self._must_refresh(account, rejected_access_token):
                return account
            account = await self._adopt_linked(account)
            if not self._must_refresh(account, rejected_access_token):
                return account
            return await self._refresh(account)

    def _current(self, key: str) -> StoredAccount:
        account = self._store.peek().find(key)
        if account is None:
            raise AccountNotFound(key)
        if account.needs_reauth:
            raise AccountNeedsReauth(key, account.display_name, account.reauth_reason)
        return account

    def _must_refresh(self, account: StoredAccount, rejected: str | None) -> bool:
        if rejected is not None and account.tokens.access_token == rejected:
            return True
        return needs_refresh(account.tokens, self._clock())

    async def _adopt_linked(self, account: StoredAccount) -> StoredAccount:
        """Take the other tool's tokens when it refreshed since we last looked."""
        link = account.source
        if link is None or not link.linked:
            return account
        try:
            # Off the event loop: reading pi's file may wait for pi's lock.
            theirs = await asyncio.to_thread(newer_linked_tokens, link, account.tokens)
        except (OSError, ValueError) as exc:
            log.warning("could not re-read %s for %s: %s", link.path, account.display_name, exc)
            return account
        if theirs is None:
            return account
        log.info("adopting newer tokens for %s from %s", account.display_name, link.path)
        return await self._save_tokens(account.key, theirs)

    async def _refresh(self, account: StoredAccount) -> StoredAccount:
        try:
            tokens = await refresh_tokens(self._http, self._endpoints, account.tokens.refresh_token)
        except RefreshError as exc:
            if exc.permanent:
                await self.mark_needs_reauth(account.key, str(exc))
                raise AccountNeedsReauth(account.key, account.display_name, str(exc)) from None
            raise TokenRefreshFailed(account.key, account.display_name, str(exc)) from None
        saved = await self._save_tokens(account.key, tokens)
        await self._write_back(saved)
        return saved

    async def _save_tokens(self, key: str, tokens: TokenSet) -> StoredAccount:
        async with self._store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                raise AccountNotFound(key)
            if tokens.id_token is None:  # a refresh answer may leave the id token out
                tokens = tokens.model_copy(update={"id_token": account.tokens.id_token})
            account.tokens = tokens
            saved = account.model_copy(deep=True)
        self._on_change()
        return saved

    async def _write_back(self, account: StoredAccount) -> None:
        link = account.source
        if link is None or not link.linked:
            return
        try:
            await asyncio.to_thread(write_back, link, account.tokens)
        except OSError as exc:
            log.warning(
                "refreshed %s but could not update %s: %s", account.display_name, link.path, exc
            )

    async def mark_needs_reauth(self, key: str, reason: str) -> None:
        async with self._store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                return
            account.needs_reauth = True
            account.reauth_reason = reason
        self._on_change()
