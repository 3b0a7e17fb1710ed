"""Logins in progress: start, wait, paste, cancel, and saving the account they yield.

At most one browser login is open at a time (it owns the callback port); a newer one
cancels it. Device logins may run alongside. A login's outcome is kept for a minute after
it ends so that a late wait still gets it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Literal

import httpx2

from multicodex.app.errors import AppError
from multicodex.app.hooks import ClientHooks
from multicodex.app.login_flow import (
    LoginSession,
    ReportingBrowserLogin,
    ending_error,
    failure_reason,
    login_cancelled,
    login_failed,
    login_not_found,
)
from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.views import account_ref
from multicodex.auth.device import DeviceLogin
from multicodex.auth.errors import CallbackPortsBusy, LoginError
from multicodex.auth.importers import ImportedCredentials
from multicodex.auth.pkce_login import DEFAULT_PORTS
from multicodex.auth.tokens import LoginResult as TokenLogin
from multicodex.config import Endpoints
from multicodex.model import identity_key
from multicodex.pool import Pool
from multicodex.pool.locks import LockTimeout
from multicodex.protocol import (
    AccountRef,
    LoginCancelResult,
    LoginIdParams,
    LoginPasteParams,
    LoginProgress,
    LoginResult,
    LoginStartParams,
    LoginStartResult,
)
from multicodex.store.errors import StoreError
from multicodex.timefmt import countdown

log = logging.getLogger(__name__)

BROWSER_TIMEOUT = 300.0
DEVICE_TIMEOUT = 900.0
OUTCOME_KEPT_SECONDS = 60.0
PREVIOUS_LOGIN_CLOSE_SECONDS = 5.0
Stage = Literal["waiting_for_browser", "waiting_for_device", "exchanging_code", "saving"]
PROGRESS_TEXT: dict[Stage, str] = {
    "waiting_for_browser": "Waiting for the sign-in in your browser",
    "waiting_for_device": "Waiting for the code to be confirmed",
    "exchanging_code": "Exchanging the authorization code",
    "saving": "Saving the account",
}


class LoginManager:
    def __init__(
        self,
        pool: Pool,
        endpoints: Endpoints,
        http: httpx2.AsyncClient,
        hooks: ClientHooks,
        snapshot: Callable[[], PoolSnapshot],
        *,
        ports: Sequence[int] = DEFAULT_PORTS,
    ) -> None:
        self._pool = pool
        self._endpoints = endpoints
        self._http = http
        self._hooks = hooks
        self._snapshot = snapshot
        self._ports = tuple(ports)
        self._sessions: dict[str, LoginSession] = {}
        self._drivers: dict[str, asyncio.Task[None]] = {}

    # -- the four methods -----------------------------------------------------------------

    async def start(self, params: LoginStartParams) -> LoginStartResult:
        reauth = self._reauth_ref(params.reauth)
        if params.method == "browser":
            await self._close_open_browser_logins()
            session, listening = await self._start_browser(params)
        else:
            session, listening = await self._start_device(params), False
        session.reauth = reauth
        session.label = _clean_label(params.label)
        session.pin = params.pin
        self._sessions[session.login_id] = session
        self._drivers[session.login_id] = asyncio.create_task(self._drive(session))
        return await self._start_result(session, params, listening)

    async def wait(self, params: LoginIdParams) -> LoginResult:
        """The outcome; cancelling this wait cancels the login."""
        session = self._session(params.login_id)
        if not session.finished.is_set():
            self._progress(
                session,
                "waiting_for_browser" if session.method == "browser" else "waiting_for_device",
            )
        try:
            await session.finished.wait()
        except asyncio.CancelledError:
            session.cancel()
            raise
        return session.outcome()

    async def paste(self, params: LoginPasteParams) -> LoginResult:
        session = self._session(params.login_id)
        browser = session.browser
        if session.finished.is_set():
            return session.outcome()
        if browser is None:
            raise login_failed(
                session.login_id,
                "other",
                "Only a browser login can be finished with a pasted URL or code",
                pending=True,
            )
        try:
            await browser.complete_with_pasted(params.text)
        except LoginError as exc:
            if not browser.settled:
                raise login_failed(
                    session.login_id, failure_reason(exc), str(exc), pending=True
                ) from None
        await session.finished.wait()
        return session.outcome()

    async def cancel(self, params: LoginIdParams) -> LoginCancelResult:
        session = self._session(params.login_id)
        return LoginCancelResult(login_id=session.login_id, cancelled=session.cancel())

    async def aclose(self) -> None:
        """Cancel every open login and wait for their ports to be released."""
        for session in self._sessions.values():
            session.cancel()
        drivers = list(self._drivers.values())
        if drivers:
            await asyncio.wait(drivers, timeout=PREVIOUS_LOGIN_CLOSE_SECONDS)

    # -- starting ---------------------------------------------------------------------------

    def _reauth_ref(self, key: str | None) -> AccountRef | None:
        if key is None:
            return None
        return account_ref(self._pool.get(key))

    async def _start_browser(self, params: LoginStartParams) -> tuple[LoginSession, bool]:
        timeout = params.timeout_seconds or BROWSER_TIMEOUT
        holder: list[LoginSession] = []

        def exchanging() -> None:
            if holder:
                self._progress(holder[0], "exchanging_code")

        login = self._browser_login(timeout, exchanging)
        listening = True
        try:
            await login.start()
        except CallbackPortsBusy:
            login = self._browser_login(timeout, exchanging)
            await login.start(listen=False)
            listening = False
        session = LoginSession("browser", self._pool.clock() + timeout, browser=login)
        holder.append(session)
        return session, listening

    def _browser_login(
        self, timeout: float, on_exchange: Callable[[], None]
    ) -> ReportingBrowserLogin:
        return ReportingBrowserLogin(
            self._endpoints, self._http, ports=self._ports, timeout=timeout, on_exchange=on_exchange
        )

    async def _start_device(self, params: LoginStartParams) -> LoginSession:
        timeout = params.timeout_seconds or DEVICE_TIMEOUT
        device = DeviceLogin(self._endpoints, self._http, timeout=timeout)
        try:
            code = await device.start()
        except LoginError as exc:
            raise login_failed(None, failure_reason(exc), str(exc), pending=False) from None
        session = LoginSession("device", self._pool.clock() + timeout, device=device)
        session.device_code = code
        return session

    async def _start_result(
        self, session: LoginSession, params: LoginStartParams, listening: bool
    ) -> LoginStartResult:
        browser, code = session.browser, session.device_code
        url = browser.url if browser is not None else code.verification_url if code else None
        opened = bool(params.open_browser and url and self._hooks.open_url(url))
        return LoginStartResult(
            login_id=session.login_id,
            method=session.method,
            authorize_url=browser.url if browser is not None else None,
            redirect_uri=browser.redirect_uri if browser is not None else None,
            callback_listening=listening,
            user_code=code.user_code if code is not None else None,
            verification_url=code.verification_url if code is not None else None,
            expires_at=session.expires_at,
            reauth=session.reauth,
            browser_open_requested=opened,
        )

    async def _close_open_browser_logins(self) -> None:
        open_ones = [
            login_id
            for login_id, s in self._sessions.items()
            if s.method == "browser" and not s.finished.is_set()
        ]
        for login_id in open_ones:
            self._sessions[login_id].cancel()
        drivers = [self._drivers[i] for i in open_ones if i in self._drivers]
        if drivers:
            await asyncio.wait(drivers, timeout=PREVIOUS_LOGIN_CLOSE_SECONDS)

    # -- finishing --------------------------------------------------------------------------

    async def _drive(self, session: LoginSession) -> None:
        """Wait for tokens, save the account, record the outcome, forget it later."""
        try:
            tokens = await session.tokens()
            self._progress(session, "saving")
            session.succeed(await self._save(session, tokens))
        except LoginError as exc:
            session.fail(ending_error(session, exc))
        except asyncio.CancelledError:
            session.fail(login_cancelled(session.login_id))
            raise
        except (AppError, StoreError, LockTimeout) as exc:
            session.fail(exc)  # the waiter reports it (a store failure, translated there)
        except Exception as exc:
            log.debug("login %s failed unexpectedly", session.login_id, exc_info=exc)
            session.fail(exc)
        finally:
            self._drivers.pop(session.login_id, None)
            asyncio.get_running_loop().call_later(
                OUTCOME_KEPT_SECONDS, self._sessions.pop, session.login_id, None
            )

    async def _save(self, session: LoginSession, tokens: TokenLogin) -> LoginResult:
        key = identity_key(tokens.claims.account_id, tokens.claims.email)
        reauth = session.reauth
        if reauth is not None and key != reauth.key:
            raise login_failed(
                session.login_id,
                "identity_mismatch",
                f"The sign-in was for {tokens.claims.email or key}, not {reauth.display_name}; "
                "nothing was saved",
                pending=False,
            )
        creds = ImportedCredentials(tokens=tokens.tokens, claims=tokens.claims)
        [(_account, outcome)] = await self._pool.add_credentials([creds])
        if session.label is not None:
            await self._pool.set_label(key, session.label)
        if session.pin:
            await self._pool.pin(key)
        snapshot = self._snapshot()
        account = snapshot.find(key)
        assert account is not None
        return LoginResult(
            login_id=session.login_id,
            account=snapshot.info(account),
            outcome="reauthenticated"
            if reauth is not None
            else ("added" if outcome == "added" else "updated"),
            pinned=session.pin,
        )

    # -- helpers ----------------------------------------------------------------------------

    def _session(self, login_id: str) -> LoginSession:
        session = self._sessions.get(login_id)
        if session is None:
            raise login_not_found(login_id)
        return session

    def _progress(self, session: LoginSession, stage: Stage) -> None:
        remaining = max(0.0, session.expires_at - self._pool.clock())
        message = f"{PROGRESS_TEXT[stage]} (expires in {countdown(remaining)})"
        self._hooks.login_progress(
            LoginProgress(
                login_id=session.login_id,
                stage=stage,
                message=message,
                expires_at=session.expires_at,
            )
        )


def _clean_label(label: str | None) -> str | None:
    if label is None:
        return None
    return label.strip() or None
