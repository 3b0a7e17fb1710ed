"""Browser sign-in: authorization code + PKCE with a loopback callback.

`BrowserLogin.start` binds the callback (127.0.0.1:1455, else 1457) and returns the
authorize URL for the user's browser. The login then ends in exactly one way: the
browser's redirect, a pasted redirect URL or code (for remote machines), `cancel`, or
the time limit. Whichever comes first settles it and closes the callback server.

Only a redirect that carries this login's ``state`` is an answer. Anything else that
reaches the callback (another tab, an old redirect, a stray request without a state) is
answered with a short page and ignored, and the login keeps waiting.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from urllib.parse import parse_qsl, urlsplit

import httpx2

from multicodex.auth.callback import CALLBACK_PATH, CallbackReply, LoopbackCallbackServer
from multicodex.auth.errors import CallbackPortsBusy, LoginCancelled, LoginError, LoginTimeout
from multicodex.auth.exchange import exchange_code
from multicodex.auth.tokens import LoginResult
from multicodex.config import CLIENT_ID, ORIGINATOR, SCOPES, Endpoints

__all__ = [
    "DEFAULT_PORTS",
    "BrowserLogin",
    "CallbackPortsBusy",
    "LoginCancelled",
    "LoginError",
    "LoginResult",
    "LoginTimeout",
    "build_authorize_url",
]

DEFAULT_PORTS = (1455, 1457)
"""The only callback ports the real authorization server is known to allow."""
VERIFIER_LENGTH = 64
STATE_LENGTH = 43
NO_ENTITLEMENT = "missing_codex_entitlement"
CODEX_AUTHORIZE_FLAGS = {"id_token_add_organizations": "true", "codex_cli_simplified_flow": "true"}

log = logging.getLogger(__name__)


def redirect_uri_for(port: int) -> str:
    # Bound on 127.0.0.1, but the allow-listed redirect URI names localhost.
    return f"http://localhost:{port}{CALLBACK_PATH}"


def build_authorize_url(
    endpoints: Endpoints,
    *,
    redirect_uri: str,
    state: str,
    code_verifier: str,
    originator: str = ORIGINATOR,
    scopes: str = SCOPES,
    allowed_workspace_id: str | None = None,
) -> str:
    """The authorize URL with the S256 challenge of ``code_verifier``."""
    from authlib.oauth2.client import OAuth2Client  # only at a login: not for an idle server

    client = OAuth2Client(
        None,
        client_id=CLIENT_ID,
        scope=scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
    )
    url, _state = client.create_authorization_url(
        endpoints.authorize_url,
        state=state,
        code_verifier=code_verifier,
        originator=originator,
        allowed_workspace_id=allowed_workspace_id,
        **CODEX_AUTHORIZE_FLAGS,
    )
    return str(url)


class BrowserLogin:
    """One browser sign-in attempt. Not reusable; create a new one to try again."""

    def __init__(
        self,
        endpoints: Endpoints,
        http: httpx2.AsyncClient,
        *,
        ports: Sequence[int] = DEFAULT_PORTS,
        timeout: float = 300.0,
        originator: str = ORIGINATOR,
        allowed_workspace_id: str | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._http = http
        self._ports = tuple(ports)
        self._timeout = timeout
        self._originator = originator
        self._allowed_workspace_id = allowed_workspace_id
        from authlib.common.security import generate_token  # only at a login

        self._verifier = generate_token(VERIFIER_LENGTH)
        self._state = generate_token(STATE_LENGTH)
        self._server: LoopbackCallbackServer | None = None
        self._port: int | None = None
        self._url: str | None = None
        self._settled = asyncio.Event()
        self._result: LoginResult | None = None
        self._failure: LoginError | None = None
        self._exchanging = False
        self._timer: asyncio.TimerHandle | None = None

    @property
    def port(self) -> int:
        """The callback port (the one in the redirect URI)."""
        if self._port is None:
            raise RuntimeError("the login is not started")
        return self._port

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("the login is not started")
        return self._url

    @property
    def redirect_uri(self) -> str:
        return redirect_uri_for(self.port)

    async def start(self, *, listen: bool = True) -> str:
        """Bind the callback and return the authorize URL.

        ``listen=False`` binds nothing (the redirect URI names the first port): for a
        machine whose browser cannot reach us, finished with `complete_with_pasted`.
        Raises `CallbackPortsBusy` when listening and every port is taken.
        """
        if self._url is not None:
            raise RuntimeError("the login is already started")
        if listen:
            server = LoopbackCallbackServer(self._on_callback, ports=self._ports)
            self._port = await server.start()
            self._server = server
        else:
            self._port = self._ports[0]
        self._url = build_authorize_url(
            self._endpoints,
            redirect_uri=self.redirect_uri,
            state=self._state,
            code_verifier=self._verifier,
            originator=self._originator,
            allowed_workspace_id=self._allowed_workspace_id,
        )
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._timeout, self._expire)
        return self._url

    async def wait(self) -> LoginResult:
        """The outcome: tokens, or `LoginTimeout` / `LoginCancelled` / `LoginError`."""
        if self._url is None:
            raise RuntimeError("the login is not started")
        try:
            await self._settled.wait()
        except asyncio.CancelledError:
            self.cancel()
            raise
        finally:
            await self._close_server()
        return self._outcome()

    def cancel(self) -> None:
        """Abandon the login; a pending or later `wait` raises `LoginCancelled`."""
        self._settle_failure(LoginCancelled("Login cancelled"), abort=True)

    async def complete_with_pasted(self, text: str) -> LoginResult:
        """Finish with what the user pasted: the full redirect URL or the bare code.

        Unusable input (wrong state, no code) raises `LoginError` and leaves the login
        open for another attempt; a failed code exchange ends the login.
        """
        if self._url is None:
            raise RuntimeError("the login is not started")
        code = self._code_from(_parse_pasted(text), require_state=False)
        self._claim_exchange()
        try:
            result = await self._exchange(code)
        except LoginError as exc:
            self._settle_failure(exc, abort=False)
        else:
            self._settle_success(result)
        await self._close_server()
        return self._outcome()

    async def aclose(self) -> None:
        """Cancel unless already settled, and release the callback port."""
        if not self._settled.is_set():
            self.cancel()
        await self._close_server()

    async def __aenter__(self) -> BrowserLogin:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _on_callback(self, params: dict[str, str]) -> CallbackReply:
        if self._settled.is_set() or self._exchanging:
            return CallbackReply(
                status=409,
                title="Login already finished",
                message="This sign-in was already completed or abandoned. You can close this tab.",
            )
        if not self._is_own_state(params.get("state")):
            log.info("ignored a callback request that does not carry this login's state")
            return _IGNORED_PAGE
        try:
            code = self._code_from(params, require_state=True)
            self._claim_exchange()
            result = await self._exchange(code)
        except LoginError as exc:
            self._settle_failure(exc, abort=False)
            return _failure_page(exc)
        self._settle_success(result)
        who = result.claims.email or result.claims.account_id or "your account"
        return CallbackReply(
            title="Signed in",
            message=f"MultiCodex is signed in as {who}. You can close this tab.",
        )

    def _is_own_state(self, state: str | None) -> bool:
        return state is not None and hmac.compare_digest(state.encode(), self._state.encode())

    def _code_from(self, params: Mapping[str, str], *, require_state: bool) -> str:
        state = params.get("state")
        if (state is not None or require_state) and not self._is_own_state(state):
            raise StateMismatch(
                "State mismatch: the redirect does not belong to this login. Start again."
            )
        error = params.get("error")
        if error:
            raise _authorization_error(error, params.get("error_description", ""))
        code = params.get("code")
        if not code:
            raise LoginError("Missing authorization code")
        return code

    def _claim_exchange(self) -> None:
        if self._settled.is_set():
            raise self._failure or LoginError("The login already finished")
        if self._exchanging:
            raise LoginError("The login is already being completed")
        self._exchanging = True

    async def _exchange(self, code: str) -> LoginResult:
        return await exchange_code(
            self._http,
            self._endpoints,
            code=code,
            code_verifier=self._verifier,
            redirect_uri=self.redirect_uri,
        )

    def _expire(self) -> None:
        self._settle_failure(
            LoginTimeout(f"Login timed out: no sign-in completed within {self._timeout:g} seconds"),
            abort=True,
        )

    def _settle_success(self, result: LoginResult) -> None:
        if self._settled.is_set():
            return
        self._result = result
        self._mark_settled()
        if self._server is not None:
            self._server.stop()

    def _settle_failure(self, failure: LoginError, *, abort: bool) -> None:
        if self._settled.is_set():
            return
        self._failure = failure
        self._mark_settled()
        if self._server is not None:
            if abort:
                self._server.abort()
            else:
                self._server.stop()

    def _mark_settled(self) -> None:
        self._settled.set()
        if self._timer is not None:
            self._timer.cancel()

    def _outcome(self) -> LoginResult:
        if self._result is not None:
            return self._result
        raise self._failure or LoginError("The login has not finished")

    async def _close_server(self) -> None:
        if self._server is not None:
            await self._server.aclose()


class StateMismatch(LoginError):
    """The pasted redirect's state is not the one this login sent."""


_IGNORED_PAGE = CallbackReply(
    status=400,
    title="Not this sign-in",
    message="This address does not belong to the sign-in MultiCodex is waiting for, so it "
    "was ignored. The sign-in is still waiting: finish it in the tab MultiCodex opened.",
)


def _authorization_error(error: str, description: str) -> LoginError:
    if error == "access_denied" and NO_ENTITLEMENT in description:
        return LoginError(
            "Codex is not enabled for this workspace (missing_codex_entitlement). "
            "Ask the workspace admin to enable it, or sign in with another account."
        )
    detail = f": {description[:200]}" if description else ""
    return LoginError(f"Sign-in was refused ({error}){detail}")


def _failure_page(exc: LoginError) -> CallbackReply:
    if isinstance(exc, StateMismatch):
        return CallbackReply(status=400, title="State mismatch", message=str(exc))
    return CallbackReply(status=400, title="Sign-in failed", message=str(exc))


def _parse_pasted(text: str) -> dict[str, str]:
    """A redirect URL, a query string, ``code#state`` or a bare code, as parameters."""
    value = text.strip()
    if not value:
        return {}
    if "://" in value:
        parts = urlsplit(value)
        return dict(parse_qsl(parts.query or parts.fragment, keep_blank_values=True))
    if "code=" in value or "error=" in value:
        return dict(parse_qsl(value.lstrip("?"), keep_blank_values=True))
    if "#" in value:
        code, state = value.split("#", 1)
        return {"code": code, "state": state}
    return {"code": value}
