"""The rotation engine: one request's life across the pool.

pick → valid token → stream. Before the first forwarded event a failure is handled by its
class: quota puts the account on cooldown until its reset and moves on at once (a model's
own limit, Spark's, only for that model); a model the account may not use (a version or
plan gate) is marked on the account for that model and the request moves on; 401
refreshes once and retries; dead credentials skip the account; transient failures retry
with bounded backoff; an account that sends nothing within an idle limit is left for
another one at once when there is one (the client is told); a bad request is surfaced as is
(it would fail everywhere). Once output has been forwarded nothing is retried, so no text is
ever duplicated.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any, Literal, Protocol

from multicodex.codex.client import CodexClient, ResponseStream
from multicodex.codex.errors import CodexFailure, StreamStalled
from multicodex.codex.events import FinalResponse, TokenUsage
from multicodex.config import client_version
from multicodex.model import (
    BucketCooldown,
    FailureKind,
    ModelGate,
    StoredAccount,
    UsageSnapshot,
)
from multicodex.model.quota import GENERAL_BUCKET, bucket_for_model, bucket_label
from multicodex.model_access import PlanModels
from multicodex.pool import Pool, PoolError
from multicodex.pool.reset_credits import ResetCreditSpender
from multicodex.preflight import Preflight, PreflightRequest, preflight
from multicodex.rotation.beyond_quota import BeyondQuota
from multicodex.rotation.body import (
    build_body,
    has_account_bound_items,
    passthrough_body,
    passthrough_bytes,
    passthrough_headers,
)
from multicodex.rotation.models import (
    AttemptStarted,
    CompletionRequest,
    CompletionResult,
    FailureInfo,
    FailureNotice,
    ModelUnavailable,
    PoolExhausted,
    RawChunk,
    RotationEvent,
    Switch,
    SwitchNotice,
    TextDeltas,
    TokenCounts,
    ToolCallDelta,
    UpstreamFailure,
    WaitNotice,
    skipped_states,
)
from multicodex.rotation.passthrough import RawRelay
from multicodex.selection import DEFAULT_STRATEGY, Selection, SelectionRequest, get_strategy
from multicodex.selection_index import SelectionIndex
from multicodex.timefmt import clock_time

log = logging.getLogger(__name__)

BACKOFF_BASE_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 5.0
MIN_COOLDOWN_SECONDS = 1.0
SAME_ACCOUNT_TRANSIENT_RETRIES = 2
"""After this many transient failures in a row an account is left for this request."""

Sleep = Callable[[float], Awaitable[None]]
DeltaKind = Literal["text", "reasoning"]


class ModelDirectory(Protocol):
    """What the engine knows of the models each plan offers (``app.catalog``)."""

    async def prepare(self) -> None:
        """Fetch the lists of plans with none yet (bounded; a failure restricts nothing)."""

    def plan_models(self) -> PlanModels: ...

    def display_name(self, slug: str) -> str | None: ...

    def servable_models(self) -> list[str]:
        """The models some account of the pool can serve now, in list order."""


class NoModelDirectory:
    """No model lists: every account may serve every model until the backend says no."""

    async def prepare(self) -> None:
        return None

    def plan_models(self) -> PlanModels:
        return {}

    def display_name(self, slug: str) -> str | None:
        return None

    def servable_models(self) -> list[str]:
        return []


class RotationEngine:
    """Shared by every request: the pool, the client, the model lists and which account
    each conversation is on. Each request runs as its own `RequestRotation`."""

    def __init__(
        self,
        pool: Pool,
        codex: CodexClient,
        *,
        sleep: Sleep = asyncio.sleep,
        models: ModelDirectory | None = None,
        beyond_quota: BeyondQuota | None = None,
    ) -> None:
        self.pool = pool
        self.codex = codex
        self.sleep = sleep
        self.models: ModelDirectory = models or NoModelDirectory()
        self.owners: dict[str, str] = {}
        self.selection_index = SelectionIndex()
        """The default strategy's order of the pool, kept while the accounts hold still."""
        self.beyond_quota = beyond_quota or BeyondQuota(pool, ResetCreditSpender(pool, codex))
        """Reset credits and paid credits, as far as the rotation policy allows them."""

    def conversation_account(self, conversation_id: str) -> str | None:
        return self.owners.get(conversation_id)

    def stream(self, request: CompletionRequest) -> AsyncGenerator[RotationEvent, None]:
        """Yield every attempt, text deltas, switch, failure and wait notices, and finally
        the CompletionResult."""
        return RequestRotation(self, request).events()


class RequestRotation:
    """One request's life across the pool."""

    def __init__(self, engine: RotationEngine, request: CompletionRequest) -> None:
        self._engine = engine
        self._pool = engine.pool
        self._request = request
        conversation = request.conversation_id
        self._cache_key = conversation or str(uuid.uuid4())
        self._owner = engine.owners.get(conversation) if conversation else None
        self._policy = self._pool.document().settings.rotation
        self._rescue = engine.beyond_quota.for_request(request, self._policy)
        self._excluded: set[str] = set()
        self._switches: list[Switch] = []
        self._reasons: list[str] = []
        self._current: str | None = None
        self._forced: str | None = None
        """The account to try again next, and why."""
        self._forced_why = ""
        self._chosen_why = ""
        """The strategy's reason for the account chosen last, without its name."""
        self._refreshed: set[str] = set()
        self._transient: dict[str, int] = {}
        self._transient_total = 0
        self._problem: tuple[str, FailureInfo | None] | None = None
        """The last failure in words, and its class when the backend caused it."""
        self._pending: FailureNotice | None = None
        """A failure to tell the client with the next attempt (its account is not known
        before selection runs)."""
        self._attempts = 0
        self._forwarded = False
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._output: list[dict[str, Any]] = []
        self._writes: asyncio.Future[None] | None = None
        """What a failure left to write to the store (usage, a cooldown, a gate), in order,
        while the request moves on; settled before a result, a wait or the end."""
        self._pin_cleared = False
        """This request cleared the pin (the store may not say so yet)."""
        self._cooling: dict[str, tuple[float, str]] = {}
        """Cooldowns this request set whose store write may still be under way: selection
        sees them at once (a pin on a cooling account is cleared, as the store will say)."""

    async def events(self) -> AsyncGenerator[RotationEvent, None]:
        try:
            await self._engine.models.prepare()
            attempts_left = self._policy.retry_limit + 2 * max(1, len(self._pool.accounts()))
            while attempts_left > 0:
                attempts_left -= 1
                retry = self._forced is not None
                account = await self._next_account()
                if account is None:
                    self._pending = None
                    async for notice in self._wait_for_reset():
                        yield notice
                    continue
                for event in self._announce(account, retry):
                    yield event
                retrying: FailureNotice | None = None
                try:
                    async for event in self._attempt(account):
                        yield event
                    return
                except CodexFailure as failure:
                    if self._forwarded:
                        raise _after_output(failure, account) from None
                    wait = await self._handle_failure(failure, account)
                    if wait is not None:
                        retrying = self._retry_notice(failure, account, wait)
                if retrying is not None:  # told before the wait, not after it
                    yield retrying
                    await self._engine.sleep(retrying.wait_seconds)
            raise UpstreamFailure(
                f"gave up after too many attempts; last problem: {self._problem_text()}",
                failure=self._last_failure(),
                account_key=self._current,
                account_name="",
                after_output=False,
            )
        finally:
            await self._settle_writes()

    def _announce(self, account: StoredAccount, retry: bool) -> list[RotationEvent]:
        """What the client learns before an attempt: the failure that led here, the
        switch, and the attempt itself with its reason."""
        events: list[RotationEvent] = []
        if self._pending is not None:
            events.append(_with_next(self._pending, account))
            self._pending = None
        switch = self._note_switch(account)
        if switch is not None:
            events.append(SwitchNotice(switch=switch))
        self._attempts += 1
        retry = retry and self._current == account.key
        reason = self._forced_why if retry else self._chosen_why
        events.append(
            AttemptStarted(
                account_key=account.key,
                account_name=account.display_name,
                reason=reason or "chosen",
                number=self._attempts,
                retry=retry,
                preflight=self._preflight(account) if self._tells_preflight() else None,
            )
        )
        self._current = account.key
        return events

    def _tells_preflight(self) -> bool:
        """The pre-flight goes with the first attempt, to a client that reads it: a
        pass-through request (the proxy) relays the backend's bytes alone, so working it
        out would only delay the request."""
        return self._attempts == 1 and self._request.passthrough is None

    def _preflight(self, account: StoredAccount) -> Preflight | None:
        """Whether this turn may use up the account's room, or the pool's: from memory
        only, and never a reason for the request to fail."""
        named = self._request.account_key
        accounts = self._pool.accounts()
        try:
            return preflight(
                PreflightRequest(
                    account=account,
                    accounts=accounts if named is None else [account],
                    bucket=bucket_for_model(self._request.model),
                    recent=self._pool.usage.history.recent,
                    now=self._pool.clock(),
                    waits_by_itself=self._request.wait_for_reset_seconds is not None,
                    next_account=lambda: self._next_name(account),
                )
            )
        except Exception:  # a warning that cannot be worked out is left out, never fatal
            log.exception("pre-flight check failed")
            return None

    def _next_name(self, account: StoredAccount) -> str | None:
        following = self._selection(leaving=account.key).key
        names = {a.key: a.display_name for a in self._pool.accounts()}
        return names.get(following) if following is not None else None

    # -- choosing ----------------------------------------------------------------------

    async def _next_account(self) -> StoredAccount | None:
        while True:
            key = self._forced or await self._select()
            self._forced = None
            if key is None:
                return None
            try:
                return await self._pool.tokens.valid(key)
            except PoolError as exc:
                self._excluded.add(key)
                self._problem = (str(exc), None)
                self._reasons.append(f"skipped: {exc}")

    async def _select(self) -> str | None:
        selection = self._selection()
        if selection.clear_pin:
            # Like a cooldown: this request goes on at once, the store learns of it after.
            self._pin_cleared = True
            self._write_later(self._pool.pin(None))
            self._reasons.append("cleared the manual pin: that account is unavailable")
        if selection.key is not None:
            self._reasons.append(selection.reason)
            self._chosen_why = selection.why
        return selection.key

    def _selection(self, *, leaving: str | None = None) -> Selection:
        """The strategy's choice for this request; ``leaving``: as if that account were
        excluded too."""
        excluded = {*self._excluded, leaving} if leaving is not None else self._excluded
        named = self._request.account_key
        accounts = self._with_pending_cooldowns(self._pool.accounts())
        if named is not None:
            # A request that names its account is served by that one or not at all; the
            # pin and the conversation's account do not apply to it.
            accounts = [a for a in accounts if a.key == named]
        models = self._engine.models
        model = self._request.model
        strategy = get_strategy(self._policy.strategy)
        # Built from the pool's own objects: validating 10,000 accounts again per call
        # would cost more than the index saves.
        request = SelectionRequest.model_construct(
            accounts=accounts,
            now=self._pool.clock(),
            excluded=frozenset(excluded),
            pinned=self._pool.pinned if named is None and not self._pin_cleared else None,
            affinity=self._owner if named is None else None,
            sticky=self._policy.sticky,
            model=model,
            model_name=models.display_name(model),
            plan_models=models.plan_models(),
            client_version=client_version(),
        )
        if strategy.name == DEFAULT_STRATEGY:
            return self._engine.selection_index.choose(request, accounts)
        return strategy.choose(request)

    def _with_pending_cooldowns(self, accounts: list[StoredAccount]) -> list[StoredAccount]:
        if not self._cooling:
            return accounts  # the pool's own list: the selection index knows it
        return [
            a.model_copy(update={"cooldown_until": c[0], "cooldown_reason": c[1]})
            if (c := self._cooling.get(a.key)) is not None
            else a
            for a in accounts
        ]

    def _note_switch(self, account: StoredAccount) -> Switch | None:
        """A move away from the account last tried (or the conversation's owner)."""
        previous = self._current or self._owner
        if previous is None or previous == account.key:
            return None
        names = {a.key: a.display_name for a in self._pool.accounts()}
        problem, failure = self._problem or (None, None)
        why = "; ".join(filter(None, [problem, self._reasons[-1] if self._reasons else None]))
        switch = Switch(
            from_key=previous,
            from_name=names.get(previous, previous),
            to_key=account.key,
            to_name=account.display_name,
            reason=why or "selection changed",
            failure=failure,
        )
        self._switches.append(switch)
        return switch

    # -- one attempt -------------------------------------------------------------------

    async def _attempt(self, account: StoredAccount) -> AsyncIterator[RotationEvent]:
        request = self._request
        # Encrypted reasoning is replayed only on the account known to have made it: with no
        # known owner (no conversation_id, or a restart since) another account's reasoning
        # would fail the request with a 400 that no rotation can cure.
        moved = self._owner != account.key
        if moved and has_account_bound_items(request.input):
            self._reasons.append(_reasoning_dropped(account, known_owner=self._owner is not None))
        passthrough = request.passthrough
        encoded: bytes | None = None
        if passthrough is not None:
            body = passthrough_body(passthrough, moved=moved)
            encoded = passthrough_bytes(passthrough, moved=moved)
            extra = passthrough_headers(passthrough, account.key)
        else:
            body, extra = build_body(request, cache_key=self._cache_key, moved=moved), None
        async with self._engine.codex.stream(
            access_token=account.tokens.access_token,
            account_id=account.account_id,
            body=body,
            encoded=encoded,
            session_id=self._cache_key,
            extra_headers=extra,
            first_bytes_timeout=self._policy.first_output_timeout_seconds,
            idle_timeout=self._policy.stall_timeout_seconds,
        ) as stream:
            bookkeeping = _Bookkeeping(self._accepted(stream, account))
            try:
                output: AsyncGenerator[RawChunk | TextDeltas | ToolCallDelta, None]
                if passthrough is not None:
                    output = self._relayed(stream, account)
                else:
                    output = self._answer(stream, account)
                async with contextlib.aclosing(output):
                    async for out in output:
                        self._forwarded = True
                        yield out
                        bookkeeping.start()
                await bookkeeping.start()
                await self._settle_writes()
                yield self._result(stream, account)
            finally:
                await bookkeeping.finish()

    async def _relayed(
        self, stream: ResponseStream, account: StoredAccount
    ) -> AsyncGenerator[RawChunk, None]:
        """The answer's bytes as read, once output may go out (a pass-through request)."""
        relay = RawRelay(stream, account.key)
        async for event in stream:
            chunk = relay.after(event.type)
            if chunk is not None:
                yield chunk

    async def _answer(
        self, stream: ResponseStream, account: StoredAccount
    ) -> AsyncGenerator[TextDeltas | ToolCallDelta, None]:
        """The answer's text and tool calls: the deltas of one kind that arrived together
        as one run, so that each network read is one pass through the layers above."""
        key = account.key
        while events := await stream.next_events():
            run: list[str] = []
            run_kind: DeltaKind = "text"
            for event in events:
                delta = _delta(event.type, event.data)
                if delta is not None:
                    kind, text = delta
                    if run and kind != run_kind:
                        yield TextDeltas(kind=run_kind, texts=run, account_key=key)
                        run = []
                    run_kind = kind
                    run.append(text)
                    (self._text if kind == "text" else self._reasoning).append(text)
                elif event.type == "response.output_item.done":
                    call = self._output_item(event.data.get("item"), account)
                    if call is not None:
                        if run:
                            yield TextDeltas(kind=run_kind, texts=run, account_key=key)
                            run = []
                        yield call
            if run:
                yield TextDeltas(kind=run_kind, texts=run, account_key=key)

    def _output_item(self, item: object, account: StoredAccount) -> ToolCallDelta | None:
        """Keep a finished output item for the result; a function call is also output to
        forward at once (the client runs the tool)."""
        if not isinstance(item, dict):
            return None
        self._output.append(item)
        return _tool_call(item, account.key)

    def _accepted(
        self, stream: ResponseStream, account: StoredAccount
    ) -> Callable[[], Awaitable[None]]:
        """The account now serves the request. Its usage (from the response headers) and
        the active account are written to the store once the first output has gone to the
        client (they must not delay it), while the rest of the answer streams. The result
        waits for them."""
        if self._request.conversation_id:
            self._engine.owners[self._request.conversation_id] = account.key
        self._owner = account.key
        return lambda: self._record_acceptance(account.key, stream.usage)

    async def _record_acceptance(self, key: str, usage: UsageSnapshot | None) -> None:
        if usage is not None:
            await self._pool.record_usage(key, usage)
        await self._pool.set_active(key)

    def _result(self, stream: ResponseStream, account: StoredAccount) -> CompletionResult:
        completed = stream.completed
        usage = completed.usage if completed is not None else None
        return CompletionResult(
            text="".join(self._text),
            reasoning_text="".join(self._reasoning),
            account_key=account.key,
            account_name=account.display_name,
            switches=self._switches,
            reasons=self._reasons,
            attempts=self._attempts,
            usage=_token_counts(usage),
            response_id=completed.id if completed is not None else None,
            status="incomplete"
            if completed is not None and completed.status == "incomplete"
            else "completed",
            output=self._output,
            model=completed.model if completed is not None else None,
            incomplete_reason=_incomplete_reason(completed),
        )

    # -- failures ----------------------------------------------------------------------

    async def _handle_failure(self, failure: CodexFailure, account: StoredAccount) -> float | None:
        """Deal with a failure before output; returns the wait before the same account is
        tried again, or None when the next attempt may start at once."""
        name = account.display_name
        kind = failure.kind
        if failure.usage is not None:
            self._write_later(self._pool.record_usage(account.key, failure.usage))
        if kind is FailureKind.QUOTA_EXHAUSTED and failure.bucket not in (None, GENERAL_BUCKET):
            await self._cool_down_bucket(failure, account, failure.bucket)
        elif kind is FailureKind.QUOTA_EXHAUSTED:
            await self._cool_down(failure, account)
        elif kind is FailureKind.MODEL_GATED:
            await self._gate_model(failure, account)
        elif kind is FailureKind.AUTH_EXPIRED:
            await self._refresh_once(failure, account)
        elif kind is FailureKind.NEEDS_REAUTH:
            await self._pool.mark_needs_reauth(account.key, failure.message)
            self._excluded.add(account.key)
            self._problem = (f"{name} needs re-authentication ({failure.message})", _info(failure))
        elif kind in (FailureKind.TRANSIENT, FailureKind.RATE_LIMITED):
            return self._back_off(failure, account)
        elif kind is FailureKind.CANCELLED:
            raise asyncio.CancelledError
        else:
            raise UpstreamFailure(
                failure.message,
                failure=_info(failure),
                account_key=account.key,
                account_name=name,
                after_output=False,
            )
        return None

    async def _cool_down(self, failure: CodexFailure, account: StoredAccount) -> None:
        now = self._pool.clock()
        until = failure.resets_at
        if until is None and failure.usage is not None:
            until = failure.usage.earliest_exhausted_reset()
        until = self._cooldown_end(until, now)
        when = clock_time(until, now)
        reason = f"{account.display_name} hit its usage limit; cooling down until {when}"
        self._write_later(self._pool.set_cooldown(account.key, until, reason))
        self._cooling[account.key] = (until, reason)
        self._excluded.add(account.key)
        self._problem = (reason, _info(failure))

    def _cooldown_end(self, reset: float | None, now: float) -> float:
        if reset is None:
            reset = now + self._policy.fallback_cooldown_seconds
        # A reset the backend already sees as past (clock skew) still gets a short rest,
        # so the same account is not hammered in a tight loop.
        return max(reset, now + MIN_COOLDOWN_SECONDS)

    async def _cool_down_bucket(
        self, failure: CodexFailure, account: StoredAccount, bucket: str
    ) -> None:
        """A model's own limit (Spark's) is spent: the account rests for that limit only
        and keeps serving every other model."""
        now = self._pool.clock()
        until = self._cooldown_end(failure.resets_at, now)
        label = bucket_label(bucket)
        reason = (
            f"{account.display_name} hit its {label} limit; {label} requests go elsewhere "
            f"until {clock_time(until, now)}"
        )
        self._write_later(
            self._pool.set_bucket_cooldown(
                account.key, bucket, BucketCooldown(until=until, reason=reason)
            )
        )
        self._excluded.add(account.key)
        self._problem = (reason, _info(failure))

    async def _gate_model(self, failure: CodexFailure, account: StoredAccount) -> None:
        """The backend will not serve this model to this account: remembered for the
        model alone (``model_access``), and the request moves on without a retry."""
        model = failure.model or self._request.model
        version = failure.gate == "version"
        gate = ModelGate(
            reason="version" if version else "plan",
            detail=failure.message,
            at=self._pool.clock(),
            client_version=client_version() if version else None,
        )
        self._write_later(self._pool.set_model_gate(account.key, model, gate))
        self._excluded.add(account.key)
        self._problem = (f"{account.display_name} cannot serve {model}", _info(failure))
        self._pending = _failure_notice(failure, account)

    async def _refresh_once(self, failure: CodexFailure, account: StoredAccount) -> None:
        name = account.display_name
        if account.key in self._refreshed:
            self._excluded.add(account.key)
            self._problem = (f"{name} was refused twice ({failure.message})", _info(failure))
            return
        self._refreshed.add(account.key)
        try:
            await self._pool.tokens.valid(
                account.key, rejected_access_token=account.tokens.access_token
            )
        except PoolError as exc:  # needs re-auth now, or the refresh itself failed
            self._excluded.add(account.key)
            self._problem = (str(exc), _info(failure))
            return
        self._force(account, "the backend refused its access token; refreshed it")

    def _back_off(self, failure: CodexFailure, account: StoredAccount) -> float | None:
        policy = self._policy
        self._transient_total += 1
        if self._transient_total > policy.retry_limit:
            raise UpstreamFailure(
                f"{failure.message} (gave up after {policy.retry_limit} retries)",
                failure=_info(failure),
                account_key=account.key,
                account_name=account.display_name,
                after_output=False,
            )
        count = self._transient[account.key] = self._transient.get(account.key, 0) + 1
        self._problem = (f"{account.display_name}: {failure.message}", _info(failure))
        wait = failure.retry_after
        if (
            count > SAME_ACCOUNT_TRANSIENT_RETRIES
            or (wait is not None and wait > MAX_BACKOFF_SECONDS)
            or (isinstance(failure, StreamStalled) and self._another_can_serve(account))
        ):
            self._excluded.add(account.key)
            self._pending = _failure_notice(failure, account)
            return None
        if wait is None:
            wait = BACKOFF_BASE_SECONDS * 2 ** (count - 1) * random.uniform(0.9, 1.1)
        self._force(account, f"trying again after: {failure.message}")
        return min(wait, MAX_BACKOFF_SECONDS)

    def _write_later(self, write: Coroutine[Any, Any, None]) -> None:
        """Run ``write`` after the writes already queued, without holding up the next
        attempt: this request excludes the account itself, and the store learns of it a
        few milliseconds later (the next account's first byte does not wait for fsyncs)."""
        previous = self._writes

        async def in_order() -> None:
            try:
                if previous is not None:
                    await previous
            finally:
                await write

        self._writes = asyncio.ensure_future(in_order())

    async def _settle_writes(self) -> None:
        """Wait for the queued writes (also when cancelled); a failed write is raised."""
        writes = self._writes
        if writes is not None and not writes.done():
            await asyncio.shield(writes)
        elif writes is not None:
            writes.result()

    def _force(self, account: StoredAccount, why: str) -> None:
        self._forced = account.key
        self._forced_why = why

    def _retry_notice(
        self, failure: CodexFailure, account: StoredAccount, wait: float
    ) -> FailureNotice:
        notice = _failure_notice(failure, account)
        again = "trying again" if wait < 1 else f"trying again in {wait:.0f} s"
        return notice.model_copy(update={"text": f"{notice.text}; {again}", "wait_seconds": wait})

    def _another_can_serve(self, account: StoredAccount) -> bool:
        """Whether the request could move on from ``account`` now. A stall has already
        cost the user the idle limit: another account is tried before the same one again."""
        return self._selection(leaving=account.key).key is not None

    def _problem_text(self) -> str | None:
        return self._problem[0] if self._problem else None

    def _last_failure(self) -> FailureInfo:
        failure = self._problem[1] if self._problem else None
        return failure or FailureInfo(kind=FailureKind.TRANSIENT, message="no attempt succeeded")

    # -- exhausted pool --------------------------------------------------------------

    async def _wait_for_reset(self) -> AsyncIterator[RotationEvent]:
        await self._settle_writes()  # the cooldowns just set say when the pool is back
        self._fail_if_no_account_serves_the_model(self._selection())
        rescue = await self._rescue.next_account()  # only what when_exhausted allows
        if rescue is not None:
            self._forced, self._forced_why = rescue.account_key, rescue.why
            self._chosen_why = rescue.why
            self._reasons.append(rescue.why)
            return
        selection = self._selection()
        now = self._pool.clock()
        earliest = selection.earliest_reset
        budget = self._request.wait_for_reset_seconds
        if earliest is None or budget is None or earliest - now > budget:
            self._fail_if_the_backend_is_the_problem(earliest)
            names = {a.key: a.display_name for a in self._pool.accounts()}
            raise PoolExhausted(earliest, skipped_states(selection.skipped, names))
        self._request.wait_for_reset_seconds = budget - max(0.0, earliest - now)
        yield WaitNotice(
            until=earliest,
            reason=f"every account is resting; waiting until {clock_time(earliest, now)}",
        )
        await self._engine.sleep(max(0.0, earliest - now) + 0.05)
        self._excluded.clear()

    def _fail_if_no_account_serves_the_model(self, selection: Selection) -> None:
        """Every account is left out for the model itself (plan, gate): no wait, reset
        credit or retry can help, so the request fails at once."""
        skipped = selection.skipped
        if skipped and all(s.why == "model" for s in skipped):
            names = {a.key: a.display_name for a in self._pool.accounts()}
            raise ModelUnavailable(
                self._request.model,
                skipped_states(skipped, names),
                self._engine.models.servable_models(),
            )

    def _fail_if_the_backend_is_the_problem(self, earliest_reset: float | None) -> None:
        """No account is left because the backend kept failing (5xx, silence, a block page),
        not because of quota: that is the backend being unavailable, said with the failure
        it gave, not a pool with no quota."""
        failure = self._problem[1] if self._problem else None
        if earliest_reset is not None or failure is None:
            return
        if failure.kind in (FailureKind.TRANSIENT, FailureKind.RATE_LIMITED):
            raise UpstreamFailure(
                f"{self._problem_text()} (no other account could serve)",
                failure=failure,
                account_key=self._current,
                account_name="",
                after_output=False,
            )


class _Bookkeeping:
    """The acceptance writes of one attempt: started once, at the first output handed on
    (or at the end of an answer without any), awaited before the result."""

    __slots__ = ("_task", "_work")

    def __init__(self, work: Callable[[], Awaitable[None]]) -> None:
        self._work = work
        self._task: asyncio.Future[None] | None = None

    def start(self) -> asyncio.Future[None]:
        if self._task is None:
            self._task = asyncio.ensure_future(self._work())
        return self._task

    async def finish(self) -> None:
        """Let writes under way complete (also when the request is cancelled)."""
        if self._task is not None and not self._task.done():
            await asyncio.shield(self._task)


def _info(failure: CodexFailure) -> FailureInfo:
    return FailureInfo.of(failure)


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


def _reasoning_dropped(account: StoredAccount, *, known_owner: bool) -> str:
    if known_owner:
        return (
            f"moved the conversation to {account.display_name}: "
            "dropped encrypted reasoning bound to the previous account"
        )
    return (
        f"sent the conversation to {account.display_name} without its encrypted reasoning: "
        "the account that made it is not known"
    )


def _tool_call(item: dict[str, Any], account_key: str) -> ToolCallDelta | None:
    if item.get("type") != "function_call":
        return None
    call_id, name, arguments = item.get("call_id"), item.get("name"), item.get("arguments")
    if not isinstance(call_id, str) or not isinstance(name, str):
        return None
    return ToolCallDelta(
        call_id=call_id,
        name=name,
        arguments=arguments if isinstance(arguments, str) else "{}",
        account_key=account_key,
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


def _failure_notice(failure: CodexFailure, account: StoredAccount) -> FailureNotice:
    """What happened, in words; the next step is added once it is known."""
    name = account.display_name
    if isinstance(failure, StreamStalled):
        if failure.started:
            what = f"{name} stopped sending for {failure.seconds:g} s before any output"
        else:
            what = f"{name} has not answered for {failure.seconds:g} s"
    else:
        what = f"{name}: {failure.message}"
    return FailureNotice(account_key=account.key, text=what, failure=_info(failure))


def _with_next(notice: FailureNotice, following: StoredAccount) -> FailureNotice:
    next_try = (
        "trying again"
        if following.key == notice.account_key
        else f"trying {following.display_name}"
    )
    return notice.model_copy(update={"text": f"{notice.text}; {next_try}"})


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
        failure=_info(failure),
        account_key=account.key,
        account_name=account.display_name,
        after_output=True,
    )
