"""One login in progress (browser or device) and the errors its ending can produce."""

from __future__ import annotations

import asyncio
import itertools
import secrets
from collections.abc import Callable, Sequence

import httpx2

from multicodex.app.errors import AppError
from multicodex.auth.device import DeviceCode, DeviceLogin
from multicodex.auth.errors import LoginCancelled, LoginError, LoginTimeout
from multicodex.auth.pkce_login import BrowserLogin, StateMismatch
from multicodex.auth.tokens import LoginResult as TokenLogin
from multicodex.config import Endpoints
from multicodex.protocol import (
    AccountRef,
    ErrorCode,
    LoginFailedData,
    LoginFailureReason,
    LoginIdData,
    LoginMethod,
    LoginResult,
    LoginTimedOutData,
)

_ids = itertools.count(1)


def new_login_id() -> str:
    return f"login-{next(_ids)}-{secrets.token_hex(3)}"


class ReportingBrowserLogin(BrowserLogin):
    """A browser login that says when the code exchange starts and whether it settled."""

    def __init__(
        self,
        endpoints: Endpoints,
        http: httpx2.AsyncClient,
        *,
        ports: Sequence[int],
        timeout: float,
        on_exchange: Callable[[], None],
    ) -> None:
        super().__init__(endpoints, http, ports=ports, timeout=timeout)
        self._on_exchange = on_exchange

    @property
    def settled(self) -> bool:
        return self._settled.is_set()

    async def _exchange(self, code: str) -> TokenLogin:
        self._on_exchange()
        return await super()._exchange(code)


class LoginSession:
    """A started login: how it can finish, and its outcome once it has."""

    def __init__(
        self,
        method: LoginMethod,
        expires_at: float,
        *,
        browser: ReportingBrowserLogin | None = None,
        device: DeviceLogin | None = None,
        reauth: AccountRef | None = None,
        label: str | None = None,
        pin: bool = False,
    ) -> None:
        self.login_id = new_login_id()
        self.method = method
        self.expires_at = expires_at
        self.browser = browser
        self.device = device
        self.reauth = reauth
        self.label = label
        self.pin = pin
        self.device_code: DeviceCode | None = None
        self.finished = asyncio.Event()
        self.result: LoginResult | None = None
        self.failure: BaseException | None = None

    async def tokens(self) -> TokenLogin:
        """Wait for the browser callback, a paste or the device confirmation."""
        if self.browser is not None:
            return await self.browser.wait()
        assert self.device is not None
        return await self.device.wait()

    def cancel(self) -> bool:
        """Abandon the login if it is still open; returns whether it was."""
        if self.finished.is_set():
            return False
        if self.browser is not None:
            self.browser.cancel()
        if self.device is not None:
            self.device.cancel()
        return True

    def succeed(self, result: LoginResult) -> None:
        self.result = result
        self.finished.set()

    def fail(self, failure: BaseException) -> None:
        self.failure = failure
        self.finished.set()

    def outcome(self) -> LoginResult:
        if self.result is not None:
            return self.result
        raise self.failure or login_cancelled(self.login_id)


def ending_error(session: LoginSession, exc: LoginError) -> AppError:
    """The protocol error for a login that ended without tokens."""
    if isinstance(exc, LoginCancelled):
        return login_cancelled(session.login_id)
    if isinstance(exc, LoginTimeout):
        return AppError(
            ErrorCode.LOGIN_TIMED_OUT,
            str(exc),
            LoginTimedOutData(login_id=session.login_id, expires_at=session.expires_at),
        )
    return login_failed(session.login_id, failure_reason(exc), str(exc), pending=False)


def login_failed(
    login_id: str | None, reason: LoginFailureReason, detail: str, *, pending: bool
) -> AppError:
    return AppError(
        ErrorCode.LOGIN_FAILED,
        detail,
        LoginFailedData(login_id=login_id, reason=reason, detail=detail, pending=pending),
    )


def login_cancelled(login_id: str) -> AppError:
    return AppError(
        ErrorCode.LOGIN_CANCELLED, "The login was cancelled", LoginIdData(login_id=login_id)
    )


def login_not_found(login_id: str) -> AppError:
    return AppError(
        ErrorCode.LOGIN_NOT_FOUND,
        f"Unknown or finished login: {login_id}",
        LoginIdData(login_id=login_id),
    )


def failure_reason(exc: LoginError) -> LoginFailureReason:
    """Classify a login failure by the auth layer's error and message."""
    if isinstance(exc, StateMismatch):
        return "state_mismatch"
    message = str(exc)
    patterns: list[tuple[str, LoginFailureReason]] = [
        ("Missing authorization code", "missing_code"),
        ("missing_codex_entitlement", "no_entitlement"),
        ("Sign-in was refused", "denied"),
        ("Device sign-in failed", "denied"),
        ("carry no ChatGPT account id", "invalid_tokens"),
        ("token response", "invalid_tokens"),
        ("Token exchange failed", "exchange_failed"),
        ("not enabled on this server", "device_unavailable"),
    ]
    return next((reason for pattern, reason in patterns if pattern in message), "other")
