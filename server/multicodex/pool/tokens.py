"""Fresh access tokens without ever spending a refresh token twice, or losing its answer.

A refresh token is single-use: once the token endpoint has answered, the new pair *is*
the account. So a refresh is a critical section the pool owns, not the request that
needed it:

* Inside one process it is single-flight per account; across processes a file lock (on a
  database store, an advisory lock across machines), and whoever gets it second re-reads
  the store (and the refresh journal) and adopts the tokens the first one saved instead
  of refreshing again.
* Once the request is sent it runs to completion even when every caller is cancelled;
  `drain` lets the process wait for it before exiting.
* The answer is appended to the refresh journal (fsynced) before anything else, then
  merged into the store. A process killed in between loses nothing: the next one merges.
  A store that cannot be reached then (a database restarting) keeps the answer in the
  journal, merged again and again until the store takes it.
* An ambiguous outcome (request sent, answer lost) is recovered before anything is given
  up: re-read the store, the journal and a linked file, then try the same refresh token
  once more (the backend may not have rotated it).

Accounts linked to another tool's credential file re-read that file first (the other tool
may have refreshed) and write refreshed tokens back so the other tool keeps working.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx2

from multicodex.auth.freshness import is_newer
from multicodex.auth.importers import newer_linked_tokens, write_back
from multicodex.auth.refresh import REFRESH_TIMEOUT_SECONDS, RefreshError, refresh_tokens
from multicodex.config import Endpoints
from multicodex.model import StoredAccount, TokenSet
from multicodex.pool.errors import AccountNeedsReauth, AccountNotFound, TokenRefreshFailed
from multicodex.pool.locks import AccountLocks
from multicodex.store.backend import StoreBackend
from multicodex.store.errors import StoreError
from multicodex.store.journal import JournalRecord, RefreshJournal
from multicodex.store.schema import StoreDocument

log = logging.getLogger(__name__)

REFRESH_MARGIN_SECONDS = 300.0
"""Refresh when the access token has less than five minutes left (as the Codex CLI does)."""
REFRESHES_AT_ONCE = 4
"""Token requests one process has on the way at once. A refreshed pair exists only in its
answer until the journal has it: a process killed at that moment loses every answer it is
waiting for, so one process never waits for many (the other processes take the accounts it
has not locked yet)."""
SAVE_GRACE_SECONDS = 5.0
"""How long after the token request's own timeout an exiting process waits for the save."""
MERGE_RETRY_SECONDS = (0.2, 5.0)
"""First and longest pause between merges of a journal the store could not take."""


def needs_refresh(tokens: TokenSet, now: float) -> bool:
    return tokens.expires_at - now <= REFRESH_MARGIN_SECONDS


@dataclass
class _Flight:
    """One account's refresh in progress; ``sent`` once the token request has left."""

    task: asyncio.Task[StoredAccount] | None = None
    sent: bool = False


class TokenKeeper:
    def __init__(
        self,
        store: StoreBackend,
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
        self.journal = RefreshJournal(store.home)
        self._flights: dict[str, _Flight] = {}
        self._sending = asyncio.Semaphore(REFRESHES_AT_ONCE)
        self._merging_later: asyncio.Task[None] | None = None

    # -- the public face ---------------------------------------------------------------

    async def valid(self, key: str, *, rejected_access_token: str | None = None) -> StoredAccount:
        """The account with an access token that is good for at least five minutes.

        `rejected_access_token` is the token the backend just answered 401 to: it forces a
        refresh unless another process has already replaced that token. Cancelling the
        caller stops its wait, never a refresh that was already sent.
        """
        account = self._current(key)
        for _ in range(2):  # a flight started for another caller may not cover this one
            if not self._must_refresh(account, rejected_access_token):
                return account
            account = await asyncio.shield(self._flight(key, rejected_access_token))
        return account

    async def drain(self, announce: Callable[[str], None] | None = None) -> None:
        """Before the process exits: let every sent refresh finish and be saved (bounded by
        the token request's timeout); refreshes not yet sent are called off."""
        if self._merging_later is not None:
            self._merging_later.cancel()  # the journal keeps them for the next start
        for flight in list(self._flights.values()):
            if not flight.sent and flight.task is not None:
                flight.task.cancel()
        tasks = [f.task for f in self._flights.values() if f.task is not None and f.sent]
        if not tasks:
            return
        if announce is not None:
            count = f"{len(tasks)} token refresh{'es' if len(tasks) > 1 else ''}"
            announce(
                f"waiting up to {REFRESH_TIMEOUT_SECONDS + SAVE_GRACE_SECONDS:.0f} s for {count} "
                "in flight to be saved (a refresh token works only once)"
            )
        await asyncio.wait(tasks, timeout=REFRESH_TIMEOUT_SECONDS + SAVE_GRACE_SECONDS)

    def recover_journal(self) -> int:
        """Merge refresh answers a stopped process left in the journal; at start. Returns
        how many accounts got newer tokens from it."""
        if not self.journal.has_records():
            return 0
        taken = self.journal.take()
        with self._store.transaction() as doc:
            changed = apply_records(doc, taken.records)
        self.journal.discard(taken)
        if changed:
            log.warning("recovered the refreshed tokens of %d account(s) from the journal", changed)
        return changed

    async def mark_needs_reauth(self, key: str, reason: str) -> None:
        async with self._store.atransaction() as doc:
            account = doc.find(key)
            if account is None:
                return
            account.needs_reauth = True
            account.reauth_reason = reason
        self._on_change()

    # -- one refresh, owned by the pool ------------------------------------------------

    def _flight(self, key: str, rejected: str | None) -> asyncio.Task[StoredAccount]:
        flight = self._flights.get(key)
        if flight is not None and flight.task is not None and not flight.task.done():
            return flight.task
        flight = self._flights[key] = _Flight()
        task = asyncio.get_running_loop().create_task(
            self._critical_section(key, rejected, flight), name=f"refresh {key.split('|')[0]}"
        )
        flight.task = task
        task.add_done_callback(lambda done: self._landed(key, flight, done))
        return task

    def _landed(self, key: str, flight: _Flight, task: asyncio.Task[StoredAccount]) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]
        if not task.cancelled() and task.exception() is not None:
            task.exception()  # retrieved here: every caller may have stopped waiting

    async def _critical_section(
        self, key: str, rejected: str | None, flight: _Flight
    ) -> StoredAccount:
        async with self._sending, self._locks.hold(key, "refresh") as held:
            await self._merge_journal()
            account = self._current(key)
            if not self._must_refresh(account, rejected):
                return account
            account = await self._adopt_linked(account)
            if not self._must_refresh(account, rejected):
                return account
            await held.before_spending(account)
            flight.sent = True
            return await self._refresh(account)

    async def _refresh(self, account: StoredAccount) -> StoredAccount:
        try:
            tokens = await refresh_tokens(self._http, self._endpoints, account.tokens.refresh_token)
        except RefreshError as exc:
            if exc.ambiguous:
                return await self._recover_lost_answer(account, exc)
            raise await self._failure(account, exc) from None
        return await self._keep(account, tokens)

    async def _recover_lost_answer(
        self, account: StoredAccount, lost: RefreshError
    ) -> StoredAccount:
        """The request may have rotated the token, and its answer is gone. Look for the
        new pair wherever it could be; failing that, try the same token once more."""
        log.warning("%s: %s; trying to recover", account.display_name, lost)
        await self._merge_journal()
        current = self._current(account.key)
        if current.tokens.refresh_token != account.tokens.refresh_token:
            return current
        adopted = await self._adopt_linked(current)
        if adopted.tokens.refresh_token != account.tokens.refresh_token:
            return adopted
        try:
            tokens = await refresh_tokens(self._http, self._endpoints, account.tokens.refresh_token)
        except RefreshError as exc:
            raise await self._failure(account, exc, lost=lost) from None
        return await self._keep(account, tokens)

    async def _failure(
        self, account: StoredAccount, exc: RefreshError, *, lost: RefreshError | None = None
    ) -> Exception:
        if not exc.permanent:
            return TokenRefreshFailed(account.key, account.display_name, str(exc))
        reason = str(exc)
        if lost is not None:
            reason = (
                f"the answer to a token refresh was lost ({lost}), and the token endpoint then "
                f"refused the same token ({exc})"
            )
        await self.mark_needs_reauth(account.key, reason)
        return AccountNeedsReauth(account.key, account.display_name, reason)

    async def _keep(self, account: StoredAccount, tokens: TokenSet) -> StoredAccount:
        """Durable first (journal), then the store, then the linked tool's file."""
        answered = time.perf_counter()
        answered_wall = time.time()
        self.journal.append(account.key, tokens, self._clock())
        durable = time.perf_counter()
        try:
            await self._merge_journal()
        except StoreError:
            self._merge_later()
            raise
        saved = self._current(account.key)
        log.debug(
            "refreshed %s: durable %.3f ms after the answer, in the store after %.3f ms "
            "(answer at %.6f)",  # wall clock: the emulator's grant time gives the whole window
            account.display_name,
            (durable - answered) * 1000,
            (time.perf_counter() - answered) * 1000,
            answered_wall,
        )
        await self._write_back(saved)
        return saved

    # -- reading and merging ---------------------------------------------------------

    async def _merge_journal(self) -> None:
        if not self.journal.has_records():
            return
        taken = await asyncio.to_thread(self.journal.take)
        async with self._store.atransaction() as doc:
            changed = apply_records(doc, taken.records)
        self.journal.discard(taken)
        if changed:
            self._on_change()

    def _merge_later(self) -> None:
        """Merge the journal again until the store takes it (a database that went away
        comes back): the new pair must reach every machine, not only this one."""
        if self._merging_later is None or self._merging_later.done():
            self._merging_later = asyncio.get_running_loop().create_task(
                self._merge_until_taken(), name="merge the refresh journal"
            )

    async def _merge_until_taken(self) -> None:
        pause, longest = MERGE_RETRY_SECONDS
        while self.journal.has_records():
            await asyncio.sleep(pause)
            try:
                await self._merge_journal()
            except (StoreError, OSError, TimeoutError) as exc:
                log.info("the refresh journal waits for the store: %s", exc)
                pause = min(pause * 2, longest)
        log.info("refreshed tokens kept in the journal are in the store now")

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
        async with self._store.atransaction() as doc:
            apply_records(doc, [JournalRecord(key=account.key, tokens=theirs, at=self._clock())])
        self._on_change()
        return self._current(account.key)

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


def apply_records(doc: StoreDocument, records: Iterable[JournalRecord]) -> int:
    """Put each record's tokens into its account when they are newer; returns how many
    accounts changed. A newer pair is a working sign-in, so it clears needs-reauth."""
    changed = 0
    for record in records:
        account = doc.find(record.key)
        if account is None:
            log.info("dropped refreshed tokens of an account that is no longer in the store")
            continue
        tokens = record.tokens
        if tokens.id_token is None:
            tokens = tokens.model_copy(update={"id_token": account.tokens.id_token})
        if not is_newer(tokens, account.tokens):
            continue
        account.tokens = tokens
        account.needs_reauth = False
        account.reauth_reason = None
        changed += 1
    return changed
