"""The application: everything the server and the CLI do, one method per protocol method.

`App` owns the HTTP client, the store, the pool, the rotation engine, logins and the
status feed. Each protocol method's handler is declared with ``@handles`` (its params and
result models beside it); `call` validates raw params with the declared model and answers
with a JSON-ready result; the typed methods take and return the models themselves.
Failures the client can act on leave as `AppError` with the protocol's code and data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from multicodex.app.accounts import Accounts
from multicodex.app.catalog import ModelCache
from multicodex.app.completion import Completions
from multicodex.app.diagnostics import paths, verify
from multicodex.app.errors import AppError, domain_error, validated
from multicodex.app.hooks import ClientHooks
from multicodex.app.importing import describe_sources, import_accounts
from multicodex.app.logins import LoginManager
from multicodex.app.notice_settings import NoticeSettings
from multicodex.app.pi_login import pick_up_pi_login
from multicodex.app.preferences import Preferences
from multicodex.app.recovery import recover_store
from multicodex.app.registry import handles, registered_methods
from multicodex.app.session import SessionOverrides, SessionPool
from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.status import StatusFeed, tick_forever
from multicodex.app.usage_insight import UsageInsight
from multicodex.app.workspace import WorkspaceAccount
from multicodex.auth.pkce_login import DEFAULT_PORTS
from multicodex.codex.client import CodexClient
from multicodex.codex.coalescing import upstream_client
from multicodex.config import Endpoints
from multicodex.pool.reset_credits import ResetCreditOffer, ResetCreditSpender
from multicodex.protocol import (
    AccountInfo,
    AccountRef,
    AccountsImportParams,
    AccountsImportResult,
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
    CompleteParams,
    CompleteResult,
    FooterInfo,
    FooterPatch,
    FooterPreview,
    FooterSetParams,
    ImportSourceInfo,
    ImportSourceResult,
    InitializationOptions,
    LoginCancelResult,
    LoginIdParams,
    LoginPasteParams,
    LoginResult,
    LoginStartParams,
    LoginStartResult,
    Method,
    ModelsListParams,
    ModelsListResult,
    NoParams,
    PathsResult,
    RotationInfo,
    RotationSetParams,
    Status,
    StoreRecoverParams,
    StoreRecoverResult,
    UsageHistoryParams,
    UsageHistoryResult,
    UsageNotice,
    UsageNoticesInfo,
    UsageNoticesSetParams,
    VerifyResult,
)
from multicodex.rotation.beyond_quota import BeyondQuota
from multicodex.rotation.engine import RotationEngine
from multicodex.store.errors import StoreError, StoreUnreadableError
from multicodex.store.opening import open_store

log = logging.getLogger(__name__)

HTTP_TIMEOUT = 30.0
MAX_USAGE_ROUNDS = 3
USAGE_FETCHES_AT_ONCE = 4
"""A large pool refreshes a few accounts at a time, not all at once."""
"""Background usage fill-ins repeated while accounts keep arriving (an import in progress)."""


class App:
    """One MultiCodex session over a store, as the server and the CLI drive it."""

    def __init__(
        self,
        options: InitializationOptions | None = None,
        *,
        hooks: ClientHooks | None = None,
        env: Mapping[str, str] | None = None,
        create_home: bool = True,
    ) -> None:
        """``create_home=False``: a command that only reads leaves a missing store
        directory missing (a mistyped --home is not created)."""
        self.options = options or InitializationOptions()
        self.hooks = hooks or ClientHooks()
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.endpoints = Endpoints.from_env(self.options.auth_url, self.options.backend_url)
        self.store = open_store(
            self.options.home, self.options.store, env=self.env, create=create_home
        )
        self.http = upstream_client(HTTP_TIMEOUT)
        self.codex = CodexClient(self.endpoints, http=self.http)
        self.overrides = SessionOverrides(self.options.footer, self.options.rotation)
        self.pool = SessionPool(self.store, self.endpoints, self.http, self.codex, self.overrides)
        self.workspace = WorkspaceAccount(self.pool, self.options.workspace_account)
        self._recover_refresh_journal()
        spender = ResetCreditSpender(self.pool, self.codex, self._confirm_reset_credit)
        self.engine = RotationEngine(
            self.pool, self.codex, beyond_quota=BeyondQuota(self.pool, spender)
        )
        self.insight = UsageInsight(
            self.pool.usage.history.database,
            self.snapshot,
            self._usage_notice,
            self._notice_thresholds,
            recent=self.pool.usage.history.recent,
        )
        self.status_feed = StatusFeed(
            self.snapshot, self._publish_status, lambda: self.insight.forecasts
        )
        self.pool.add_listener(self.status_feed.request_refresh)
        self.pool.add_listener(self._check_thresholds_soon)
        self._background: set[asyncio.Future[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._stop_watching: Callable[[], None] | None = None
        self._usage_fetch: asyncio.Future[None] | None = None
        self._usage_recheck = False
        self._build_services()

    def _build_services(self) -> None:
        changed = self.status_feed.request_refresh
        self.accounts = Accounts(self.pool, self.snapshot, self._keep_in_background)
        self.logins = LoginManager(
            self.pool,
            self.endpoints,
            self.http,
            self.hooks,
            self.snapshot,
            ports=self.options.callback_ports or DEFAULT_PORTS,
        )
        self.preferences = Preferences(self.store, self.overrides, self.snapshot, changed)
        self.notice_settings = NoticeSettings(
            self.store, lambda: self.pool.document().settings.usage_notices
        )
        self.models = ModelCache(self.pool, self.codex, self.snapshot)
        self.engine.models = self.models  # routing reads the plans' model lists
        self.completions = Completions(
            self.engine, self.hooks, self.snapshot, self.import_sources, changed, self.pool.clock
        )

    # -- lifecycle ----------------------------------------------------------------------

    def start_status_updates(self) -> Status | None:
        """Push the first status now, then keep it current (periodic re-checks included)."""
        status = self.status_feed.start_publishing()
        if self._ticker is None:
            self._ticker = asyncio.create_task(
                tick_forever(
                    self.options.status_refresh_seconds,
                    self.refresh_stale_usage,
                    self.status_feed,
                )
            )
        if self._stop_watching is None:  # a database store tells of other machines' changes
            self._stop_watching = self.pool.watch_store()
        return status

    async def aclose(self, announce: Callable[[str], None] | None = None) -> None:
        """Stop periodic work, cancel open logins, let token refreshes in flight be saved
        (``announce`` says that the process waits for them), close the HTTP client."""
        if self._stop_watching is not None:
            await asyncio.to_thread(self._stop_watching)
        tasks = [t for t in (self._ticker, *self._background) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.logins.aclose()
        await self.pool.tokens.drain(announce or log.warning)
        await self.http.aclose()

    def _recover_refresh_journal(self) -> None:
        """Merge token refreshes a stopped process saved only to the journal. A store that
        cannot be used now keeps them in the journal until it can."""
        try:
            self.pool.tokens.recover_journal()
        except (StoreError, OSError, TimeoutError) as exc:
            log.warning("could not merge the refresh journal yet: %s", exc)

    async def pick_up_pi_login(self) -> ImportSourceResult | None:
        """Import pi's login if it is new or changed since last seen (see `pi_login`);
        None when nothing was looked at or it could not be done now (the store says why
        on the next request that needs it)."""
        try:
            return await pick_up_pi_login(self.store, self.pool, self.env)
        except (StoreError, OSError) as exc:
            log.info("pi's login was not picked up: %s", " ".join(str(exc).split()))
            return None

    def pick_up_pi_login_soon(self) -> None:
        """`pick_up_pi_login` in the background (the server, at start)."""
        self._keep_in_background(asyncio.ensure_future(self.pick_up_pi_login()))

    async def _confirm_reset_credit(self, offer: ResetCreditOffer) -> bool:
        """Asked through whichever hook the driver set (it may change after start)."""
        return await self.hooks.confirm_reset_credit(offer)

    async def cancel_logins(self) -> None:
        await self.logins.aclose()

    # -- generic entry point ------------------------------------------------------------

    async def call(self, method: Method | str, params: Any) -> dict[str, Any]:
        """Validate ``params`` for ``method``, run its handler and return the JSON-ready
        result.

        Raises `AppError` (INVALID_PARAMS for params that do not validate); ``ValueError``
        for a method that is not part of the protocol.
        """
        registered = registered_methods()[Method(method)]
        checked = validated(registered.params, {} if params is None else params)
        result = await registered.handler(self, checked)
        return result.model_dump(mode="json")

    @contextlib.contextmanager
    def failures_translated(self) -> Iterator[None]:
        """Pool and store failures raised inside leave as the AppError the protocol names
        (`domain_error`); anything else leaves as it is. Around every handler (see
        `handles`) and every other entry point that reads the pool or the store."""
        try:
            yield
        except AppError:
            raise
        except Exception as exc:
            error = domain_error(self.store, exc, self._account_refs())
            if error is None:
                raise
            raise error from None

    def _account_refs(self) -> dict[str, AccountRef]:
        try:
            return self.snapshot().refs()
        except Exception:  # the store itself may be what failed
            return {}

    # -- accounts -----------------------------------------------------------------------

    @handles(Method.ACCOUNTS_LIST, AccountsListParams, AccountsListResult)
    async def accounts_list(self, params: AccountsListParams) -> AccountsListResult:
        return await self.accounts.list(params)

    @handles(Method.ACCOUNTS_USE, AccountsUseParams, AccountsUseResult)
    async def accounts_use(self, params: AccountsUseParams) -> AccountsUseResult:
        return await self.accounts.use(params)

    @handles(Method.ACCOUNTS_REFRESH, AccountsRefreshParams, AccountsRefreshResult)
    async def accounts_refresh(self, params: AccountsRefreshParams) -> AccountsRefreshResult:
        with self.insight.settling():
            result = await self.accounts.refresh(params)
        await self.check_usage_thresholds()
        return result

    @handles(Method.ACCOUNTS_REMOVE, AccountsRemoveParams, AccountsRemoveResult)
    async def accounts_remove(self, params: AccountsRemoveParams) -> AccountsRemoveResult:
        return await self.accounts.remove(params)

    @handles(Method.ACCOUNTS_LABEL, AccountsLabelParams, AccountsLabelResult)
    async def accounts_label(self, params: AccountsLabelParams) -> AccountsLabelResult:
        return await self.accounts.label(params)

    @handles(Method.ACCOUNTS_IMPORT, AccountsImportParams, AccountsImportResult)
    async def accounts_import(self, params: AccountsImportParams) -> AccountsImportResult:
        return await import_accounts(self.pool, params, self.env)

    @handles(Method.ACCOUNTS_RESET, AccountsResetParams, AccountsResetResult)
    async def accounts_reset(self, params: AccountsResetParams) -> AccountsResetResult:
        return await self.accounts.reset(params)

    # -- login --------------------------------------------------------------------------

    @handles(Method.LOGIN_START, LoginStartParams, LoginStartResult)
    async def login_start(self, params: LoginStartParams) -> LoginStartResult:
        await asyncio.to_thread(self._check_store_can_save)  # before anyone signs in
        return await self.logins.start(params)

    @handles(Method.LOGIN_WAIT, LoginIdParams, LoginResult)
    async def login_wait(self, params: LoginIdParams) -> LoginResult:
        return await self.logins.wait(params)

    @handles(Method.LOGIN_PASTE, LoginPasteParams, LoginResult)
    async def login_paste(self, params: LoginPasteParams) -> LoginResult:
        return await self.logins.paste(params)

    @handles(Method.LOGIN_CANCEL, LoginIdParams, LoginCancelResult)
    async def login_cancel(self, params: LoginIdParams) -> LoginCancelResult:
        return await self.logins.cancel(params)

    # -- settings -----------------------------------------------------------------------

    @handles(Method.ROTATION_GET, NoParams, RotationInfo)
    async def rotation_get(self, _params: NoParams) -> RotationInfo:
        return self.preferences.rotation()

    @handles(Method.ROTATION_SET, RotationSetParams, RotationInfo)
    async def rotation_set(self, params: RotationSetParams) -> RotationInfo:
        return await self.preferences.set_rotation(params)

    @handles(Method.FOOTER_GET, NoParams, FooterInfo)
    async def footer_get(self, _params: NoParams) -> FooterInfo:
        return self.preferences.footer()

    @handles(Method.FOOTER_SET, FooterSetParams, FooterInfo)
    async def footer_set(self, params: FooterSetParams) -> FooterInfo:
        return await self.preferences.set_footer(params)

    @handles(Method.FOOTER_PREVIEW, FooterPatch, FooterPreview)
    async def footer_preview(self, params: FooterPatch) -> FooterPreview:
        return self.preferences.preview(params)

    # -- diagnostics, status, models, completion ------------------------------------------

    @handles(Method.VERIFY, NoParams, VerifyResult)
    async def verify(self, _params: NoParams) -> VerifyResult:
        try:
            snapshot: PoolSnapshot | StoreError = self.snapshot()
        except StoreError as unusable:  # a failing check that says why, not a failed verify
            snapshot = unusable
        return await verify(self.store, snapshot, self.endpoints, self.env, self.http)

    @handles(Method.PATHS, NoParams, PathsResult)
    async def paths(self, _params: NoParams) -> PathsResult:
        return await paths(self.store, self.endpoints, self.env)

    @handles(Method.STORE_RECOVER, StoreRecoverParams, StoreRecoverResult)
    async def store_recover(self, params: StoreRecoverParams) -> StoreRecoverResult:
        """Start with an empty store after a corrupt document was moved aside; every
        client gets the status again, since their requests had been failing."""
        result = await recover_store(self.store, params)
        if result.recovered:
            self.status_feed.publish_now()
        return result

    @handles(Method.STATUS_GET, NoParams, Status)
    async def status_get(self, _params: NoParams) -> Status:
        return self.status_feed.current()

    @handles(Method.USAGE_NOTICES_GET, NoParams, UsageNoticesInfo)
    async def usage_notices_get(self, _params: NoParams) -> UsageNoticesInfo:
        return self.notice_settings.info()

    @handles(Method.USAGE_NOTICES_SET, UsageNoticesSetParams, UsageNoticesInfo)
    async def usage_notices_set(self, params: UsageNoticesSetParams) -> UsageNoticesInfo:
        return await self.notice_settings.set(params)

    @handles(Method.USAGE_HISTORY, UsageHistoryParams, UsageHistoryResult)
    async def usage_history(self, params: UsageHistoryParams) -> UsageHistoryResult:
        key = self.pool.resolve(params.account).key if params.account else None
        return await self.insight.history(params, key)

    @handles(Method.MODELS_LIST, ModelsListParams, ModelsListResult)
    async def models_list(self, params: ModelsListParams) -> ModelsListResult:
        return await self.models.models(params)

    @handles(Method.COMPLETE, CompleteParams, CompleteResult)
    async def complete(self, params: CompleteParams) -> CompleteResult:
        return await self.completions.complete(self.workspace.applied(params))

    # -- shared helpers -----------------------------------------------------------------

    def snapshot(self) -> PoolSnapshot:
        return PoolSnapshot.take(self.pool, self.workspace.key())

    def resolve_account(self, identifier: str) -> AccountInfo:
        """The account ``identifier`` names: its key, email, label or account id (any
        case), or a unique prefix of an email or label. ACCOUNT_NOT_FOUND otherwise."""
        with self.failures_translated():
            return self.snapshot().info(self.pool.resolve(identifier))

    def _check_store_can_save(self) -> None:
        """A login ends by saving the account: a store that cannot be read or written
        fails the login before the browser opens, not after the user signed in."""
        self.store.peek()
        if not os.access(self.store.home, os.W_OK | os.X_OK):
            raise StoreUnreadableError(
                f"cannot save accounts in {self.store.home}: the directory is not writable",
                self.store.path,
            )

    def store_problem(self) -> AppError | None:
        """Why the store cannot be used now (corrupt: where it went and how to recover;
        unusable: why), None when it can."""
        try:
            with self.failures_translated():
                self.store.peek()
        except AppError as error:
            return error
        return None

    async def import_sources(self) -> list[ImportSourceInfo]:
        return await asyncio.to_thread(describe_sources, self.env)

    async def refresh_active_usage(self) -> None:
        """Fetch the active account's usage if the shared snapshot has gone stale."""
        with self.failures_translated():
            key = self.snapshot().active_key
            if key is not None:
                await self.pool.usage.get(key)

    async def refresh_stale_usage(self) -> None:
        """Fetch every account's usage whose shared snapshot has gone stale, so the footer,
        the picker and selection see where each account stands. Fetches are single-flight
        across processes: K servers cost one fetch per account per TTL, not K."""
        keys = [a.key for a in self.pool.accounts() if not a.needs_reauth]
        slots = asyncio.Semaphore(USAGE_FETCHES_AT_ONCE)

        async def fetch(key: str) -> None:
            async with slots:
                await self.pool.usage.get(key)

        with self.insight.settling():
            await asyncio.gather(*(fetch(key) for key in keys), return_exceptions=True)
        await self.check_usage_thresholds()
        await self.insight.refresh_forecasts()

    def _usage_notice(self, notice: UsageNotice) -> None:
        self.hooks.usage_notice(notice)

    def _notice_thresholds(self) -> tuple[list[int], float]:
        chosen = self.pool.document().settings.usage_notices
        return chosen.thresholds, chosen.margin

    def _check_thresholds_soon(self) -> None:
        """After a pool change: announce a usage threshold crossed (in the background)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        self._keep_in_background(asyncio.ensure_future(self.check_usage_thresholds()))

    async def check_usage_thresholds(self) -> list[UsageNotice]:
        """Announce each threshold crossed since the last check; never fails."""
        try:
            return await self.insight.check_thresholds()
        except Exception as exc:  # the store may be unusable; the notice can wait
            log.info("usage thresholds not checked: %s", type(exc).__name__)
            return []

    def _publish_status(self, status: Status) -> None:
        self.hooks.status(status)
        self._fetch_usage_if_unknown(status)

    def _fetch_usage_if_unknown(self, status: Status) -> None:
        """The footer, the picker and selection need every account's usage: fetch (in the
        background) what is missing or stale, e.g. right after an import."""
        if not any(_usage_unknown(a) for a in status.accounts):
            return
        if self._usage_fetch is not None and not self._usage_fetch.done():
            self._usage_recheck = True  # accounts may have arrived after that fetch began
            return
        self._usage_fetch = asyncio.ensure_future(self._fill_unknown_usage())
        self._keep_in_background(self._usage_fetch)

    async def _fill_unknown_usage(self) -> None:
        for _ in range(MAX_USAGE_ROUNDS):
            self._usage_recheck = False
            await self.refresh_stale_usage()
            if not self._usage_recheck:
                return

    def _keep_in_background(self, task: asyncio.Future[Any]) -> None:
        """Track work that outlives a request; it is cancelled by `aclose`."""
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Future[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("background work failed: %s", type(task.exception()).__name__)


def _usage_unknown(account: AccountInfo) -> bool:
    return account.state != "needs_reauth" and (account.usage is None or account.usage.stale)
