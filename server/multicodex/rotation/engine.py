"""The rotation engine: one request's life across the pool.

pick → valid token → stream. Before the first forwarded event a failure is handled by its
class: quota puts the account on cooldown until its reset and moves on at once; 401
refreshes once and retries; dead credentials skip the account; transient failures retry
with bounded backoff; an account that sends nothing within an idle limit is left for
another one at once when there is one (the client is told); a bad request is surfaced as is
(it would fail everywhere). Once output has been forwarded nothing is retried, so no text is
ever duplicated.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from multicodex.codex.client import CodexClient, ResponseStream
from multicodex.codex.errors import CodexFailure, FailureKind, StreamStalled
from multicodex.codex.events import FinalResponse, TokenUsage
from multicodex.codex.usage import UsageSnapshot
from multicodex.pool import Pool, PoolError
from multicodex.rotation.body import build_body, has_account_bound_items
from multicodex.rotation.models import (
    CompletionRequest,
    CompletionResult,
    PoolExhausted,
    RotationEvent,
    StallNotice,
    Switch,
    SwitchNotice,
    TextDelta,
    TokenCounts,
    UpstreamFailure,
    WaitNotice,
    skipped_states,
)
from multicodex.selection import Selection, SelectionRequest, describe_moment, get_strategy
from multicodex.store.schema import RotationPolicy, StoredAccount

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
MIN_COOLDOWN_SECONDS = 1.0
SAME_ACCOUNT_TRANSIENT_RETRIES = 2
"""After this many transient failures in a row an account is left for this request."""

Sleep = Callable[[float], Awaitable[None]]
DeltaKind = Literal["text", "reasoning"]


@dataclass
class _Life:
    """Mutable state of one request while it moves through the pool."""

    cache_key: str
    owner: str | None
    excluded: set[str] = field(default_factory=set)
    switches: list[Switch] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    current: str | None = None
    forced: str | None = None
    refreshed: set[str] = field(default_factory=set)
    transient: dict[str, int] = field(default_factory=dict)
    transient_total: int = 0
    problem: str | None = None
    stalled: tuple[StoredAccount, StreamStalled] | None = None
    """A stall before output, to be told to the client with the next attempt."""
    forwarded: bool = False
    announced: int = 0
    text: list[str] = field(default_factory=list)
    output: list[dict[str, Any]] = field(default_factory=list)


class RotationEngine:
    def __init__(self, pool: Pool, codex: CodexClient, *, sleep: Sleep = asyncio.sleep) -> None:
        self._pool = pool
        self._codex = codex
        self._sleep = sleep
        self._owners: dict[str, str] = {}

    def conversation_account(self, conversation_id: str) -> str | None:
        return self._owners.get(conversation_id)

    async def stream(self, request: CompletionRequest) -> AsyncGenerator[RotationEvent, None]:
        """Yield text deltas, switch and wait notices, and finally the CompletionResult."""
        conversation = request.conversation_id
        life = _Life(
            cache_key=conversation or str(uuid.uuid4()),
            owner=self._owners.get(conversation) if conversation else None,
        )
        policy = self._pool.document().settings.rotation
        attempts_left = policy.retry_limit + 2 * max(1, len(self._pool.accounts()))
        while attempts_left > 0:
            attempts_left -= 1
            account = await self._next_account(request, life, policy)
            if account is None:
                life.stalled = None
                async for notice in self._wait_for_reset(request, life, policy):
                    yield notice
                continue
            if life.stalled is not None:
                yield _stall_notice(*life.stalled, following=account)
                life.stalled = None
            life.current = account.key
            try:
                async for event in self._attempt(request, life, account, policy):
                    yield event
                return
            except CodexFailure as failure:
                if life.forwarded:
                    raise _after_output(failure, account) from None
                await self._handle_failure(failure, account, life, policy)
        raise UpstreamFailure(
            f"gave up after too many attempts; last problem: {life.problem}",
            account_name="",
            after_output=False,
        )

    # -- choosing ----------------------------------------------------------------------

    async def _next_account(
        self, request: CompletionRequest, life: _Life, policy: RotationPolicy
    ) -> StoredAccount | None:
        while True:
            key = life.forced or await self._select(life, policy)
            life.forced = None
            if key is None:
                return None
            try:
                account = await self._pool.tokens.valid(key)
            except PoolError as exc:
                life.excluded.add(key)
                life.problem = str(exc)
                life.reasons.append(f"skipped: {exc}")
                continue
            self._note_switch(life, account)
            return account

    async def _select(self, life: _Life, policy: RotationPolicy) -> str | None:
        selection = self._selection(life, policy)
        if selection.clear_pin:
            await self._pool.pin(None)
            life.reasons.append("cleared the manual pin: that account is unavailable")
        if selection.key is not None:
            life.reasons.append(selection.reason)
        return selection.key

    def _selection(
        self, life: _Life, policy: RotationPolicy, *, leaving: str | None = None
    ) -> Selection:
        """The strategy's choice for this request; ``leaving``: as if that account were
        excluded too."""
        excluded = {*life.excluded, leaving} if leaving is not None else life.excluded
        return get_strategy(policy.strategy).choose(
            SelectionRequest(
                accounts=self._pool.accounts(),
                now=self._pool.clock(),
                excluded=frozenset(excluded),
                pinned=self._pool.pinned,
                affinity=life.owner,
                sticky=policy.sticky,
            )
        )

    def _note_switch(self, life: _Life, account: StoredAccount) -> None:
        """Record a move away from the account last tried (or the conversation's owner)."""
        previous = life.current or life.owner
        if previous is None or previous == account.key:
            return
        names = {a.key: a.display_name for a in self._pool.accounts()}
        why = "; ".join(filter(None, [life.problem, life.reasons[-1] if life.reasons else None]))
        life.switches.append(
            Switch(
                from_key=previous,
                from_name=names.get(previous, previous),
                to_key=account.key,
                to_name=account.display_name,
                reason=why or "selection changed",
            )
        )

    # -- one attempt -------------------------------------------------------------------

    async def _attempt(
        self,
        request: CompletionRequest,
        life: _Life,
        account: StoredAccount,
        policy: RotationPolicy,
    ) -> AsyncIterator[RotationEvent]:
        moved = life.owner is not None and life.owner != account.key
        if moved and has_account_bound_items(request.input):
            life.reasons.append(
                f"moved the conversation to {account.display_name}: "
                "dropped encrypted reasoning bound to the previous account"
            )
        body = build_body(request, cache_key=life.cache_key, moved=moved)
        async with self._codex.stream(
            access_token=account.tokens.access_token,
            account_id=account.account_id,
            body=body,
            session_id=life.cache_key,
            first_bytes_timeout=policy.first_output_timeout_seconds,
            idle_timeout=policy.stall_timeout_seconds,
        ) as stream:
            bookkeeping = self._accepted(stream, account, life, request)
            try:
                for switch in life.switches[life.announced :]:
                    yield SwitchNotice(switch=switch)
                life.announced = len(life.switches)
                async for event in stream:
                    delta = _delta(event.type, event.data)
                    if delta is not None:
                        life.forwarded = True
                        life.text.append(delta[1])
                        yield TextDelta(kind=delta[0], text=delta[1], account_key=account.key)
                    elif event.type == "response.output_item.done":
                        item = event.data.get("item")
                        if isinstance(item, dict):
                            life.output.append(item)
                await bookkeeping
                yield _result(stream, account, life)
            finally:
                if not bookkeeping.done():
                    await asyncio.shield(bookkeeping)

    def _accepted(
        self,
        stream: ResponseStream,
        account: StoredAccount,
        life: _Life,
        request: CompletionRequest,
    ) -> asyncio.Future[None]:
        """The account now serves the request. Its usage (from the response headers) and
        the active account are written to the store while the answer streams: those writes
        must not delay the first delta. The result waits for them."""
        if request.conversation_id:
            self._owners[request.conversation_id] = account.key
        life.owner = account.key
        return asyncio.ensure_future(self._record_acceptance(account.key, stream.usage))

    async def _record_acceptance(self, key: str, usage: UsageSnapshot | None) -> None:
        if usage is not None:
            await self._pool.record_usage(key, usage)
        await self._pool.set_active(key)

    # -- failures ----------------------------------------------------------------------

    async def _handle_failure(
        self,
        failure: CodexFailure,
        account: StoredAccount,
        life: _Life,
        policy: RotationPolicy,
    ) -> None:
        name = account.display_name
        kind = failure.kind
        if failure.usage is not None:
            await self._pool.record_usage(account.key, failure.usage)
        if kind is FailureKind.QUOTA_EXHAUSTED:
            await self._cool_down(failure, account, life, policy)
        elif kind is FailureKind.AUTH_EXPIRED:
            await self._refresh_once(failure, account, life)
        elif kind is FailureKind.NEEDS_REAUTH:
            await self._pool.mark_needs_reauth(account.key, failure.message)
            life.excluded.add(account.key)
            life.problem = f"{name} needs re-authentication ({failure.message})"
        elif kind in (FailureKind.TRANSIENT, FailureKind.RATE_LIMITED):
            await self._back_off(failure, account, life, policy)
        elif kind is FailureKind.CANCELLED:
            raise asyncio.CancelledError
        else:
            raise UpstreamFailure(
                failure.message,
                account_name=name,
                after_output=False,
                status=failure.status,
                code=failure.code,
            )

    async def _cool_down(
        self,
        failure: CodexFailure,
        account: StoredAccount,
        life: _Life,
        policy: RotationPolicy,
    ) -> None:
        now = self._pool.clock()
        until = failure.resets_at
        if until is None and failure.usage is not None:
            until = failure.usage.earliest_exhausted_reset()
        if until is None:
            until = now + policy.fallback_cooldown_seconds
        # A reset the backend already sees as past (clock skew) still gets a short rest,
        # so the same account is not hammered in a tight loop.
        until = max(until, now + MIN_COOLDOWN_SECONDS)
        when = describe_moment(until, now)
        reason = f"{account.display_name} hit its usage limit; cooling down until {when}"
        await self._pool.set_cooldown(account.key, until, reason)
        life.excluded.add(account.key)
        life.problem = reason

    async def _refresh_once(
        self, failure: CodexFailure, account: StoredAccount, life: _Life
    ) -> None:
        if account.key in life.refreshed:
            life.excluded.add(account.key)
            life.problem = f"{account.display_name} was refused twice ({failure.message})"
            return
        life.refreshed.add(account.key)
        try:
            await self._pool.tokens.valid(
                account.key, rejected_access_token=account.tokens.access_token
            )
        except PoolError as exc:  # needs re-auth now, or the refresh itself failed
            life.excluded.add(account.key)
            life.problem = str(exc)
            return
        life.forced = account.key

    async def _back_off(
        self,
        failure: CodexFailure,
        account: StoredAccount,
        life: _Life,
        policy: RotationPolicy,
    ) -> None:
        life.transient_total += 1
        if life.transient_total > policy.retry_limit:
            raise UpstreamFailure(
                f"{failure.message} (gave up after {policy.retry_limit} retries)",
                account_name=account.display_name,
                after_output=False,
                status=failure.status,
                code=failure.code,
            )
        count = life.transient[account.key] = life.transient.get(account.key, 0) + 1
        life.problem = f"{account.display_name}: {failure.message}"
        wait = failure.retry_after
        stalled = failure if isinstance(failure, StreamStalled) else None
        if stalled is not None:
            life.stalled = (account, stalled)
        if (
            count > SAME_ACCOUNT_TRANSIENT_RETRIES
            or (wait is not None and wait > MAX_BACKOFF_SECONDS)
            or (stalled is not None and self._another_can_serve(account, life, policy))
        ):
            life.excluded.add(account.key)
            return
        if wait is None:
            wait = BACKOFF_BASE_SECONDS * 2 ** (count - 1) * random.uniform(0.9, 1.1)
        life.forced = account.key
        await self._sleep(min(wait, MAX_BACKOFF_SECONDS))

    def _another_can_serve(
        self, account: StoredAccount, life: _Life, policy: RotationPolicy
    ) -> bool:
        """Whether the request could move on from ``account`` now. A stall has already
        cost the user the idle limit: another account is tried before the same one again."""
        return self._selection(life, policy, leaving=account.key).key is not None

    # -- exhausted pool --------------------------------------------------------------

    async def _wait_for_reset(
        self, request: CompletionRequest, life: _Life, policy: RotationPolicy
    ) -> AsyncIterator[RotationEvent]:
        selection = self._selection(life, policy)
        now = self._pool.clock()
        earliest = selection.earliest_reset
        budget = request.wait_for_reset_seconds
        if earliest is None or budget is None or earliest - now > budget:
            names = {a.key: a.display_name for a in self._pool.accounts()}
            raise PoolExhausted(earliest, skipped_states(selection.skipped, names))
        request.wait_for_reset_seconds = budget - max(0.0, earliest - now)
        yield WaitNotice(
            until=earliest,
            reason=f"every account is resting; waiting until {describe_moment(earliest, now)}",
        )
        await self._sleep(max(0.0, earliest - now) + 0.05)
        life.excluded.clear()


def _delta(event_type: str, data: dict[str, Any]) -> tuple[DeltaKind, str] | None:
    kind: DeltaKind
    if event_type == "response.output_text.delta":
        kind = "text"
    elif event_type in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
        kind = "reasoning"
    else:
        return None
    text = data.get("delta")
    return (kind, text) if isinstance(text, str) else None


def _result(stream: ResponseStream, account: StoredAccount, life: _Life) -> CompletionResult:
    completed = stream.completed
    usage = completed.usage if completed is not None else None
    return CompletionResult(
        text="".join(life.text),
        account_key=account.key,
        account_name=account.display_name,
        switches=life.switches,
        reasons=life.reasons,
        usage=_token_counts(usage),
        response_id=completed.id if completed is not None else None,
        status="incomplete"
        if completed is not None and completed.status == "incomplete"
        else "completed",
        output=life.output,
        model=completed.model if completed is not None else None,
        incomplete_reason=_incomplete_reason(completed),
    )


def _incomplete_reason(completed: FinalResponse | None) -> str | None:
    details = completed.incomplete_details if completed is not None else None
    reason = details.get("reason") if details else None
    return reason if isinstance(reason, str) else None


def _token_counts(usage: TokenUsage | None) -> TokenCounts:
    if usage is None:
        return TokenCounts()
    return TokenCounts(
        input_tokens=usage.input_tokens,
        cached_tokens=usage.cached_tokens,
        output_tokens=usage.output_tokens,
        reasoning_tokens=usage.output_tokens_details.reasoning_tokens
        if usage.output_tokens_details
        else 0,
        total_tokens=usage.total_tokens,
    )


def _stall_notice(
    account: StoredAccount, failure: StreamStalled, *, following: StoredAccount
) -> StallNotice:
    name = account.display_name
    if failure.started:
        what = f"{name} stopped sending for {failure.seconds:g} s before any output"
    else:
        what = f"{name} has not answered for {failure.seconds:g} s"
    next_try = (
        "trying again" if following.key == account.key else f"trying {following.display_name}"
    )
    return StallNotice(account_key=account.key, text=f"{what}; {next_try}", reason=failure.message)


def _after_output(failure: CodexFailure, account: StoredAccount) -> UpstreamFailure:
    if isinstance(failure, StreamStalled):
        message = (
            f"the backend stopped sending for {failure.seconds:g} s after the answer from "
            f"{account.display_name} had started; the partial answer is above"
        )
    else:
        message = f"{account.display_name} failed after output had started: {failure.message}"
    return UpstreamFailure(
        message,
        account_name=account.display_name,
        after_output=True,
        status=failure.status,
        code=failure.code,
    )
