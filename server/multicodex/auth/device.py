"""Device-code sign-in: the user types a short code on another device's browser.

``start`` asks for a user code; ``wait`` polls until the user confirms (403/404 mean
"not yet"), then exchanges the issued authorization code like a browser login would,
with the redirect URI ``{issuer}/deviceauth/callback``. Bounded by ``timeout``
(15 minutes, as the codes expire) and cancellable.
"""

from __future__ import annotations

import asyncio
import json

import httpx2
from pydantic import AliasChoices, BaseModel, Field, ValidationError, field_validator

from multicodex.auth.errors import LoginCancelled, LoginError, LoginTimeout
from multicodex.auth.exchange import exchange_code
from multicodex.auth.tokens import LoginResult
from multicodex.config import CLIENT_ID, ORIGINATOR, Endpoints
from multicodex.neterrors import describe_transport_error

DEFAULT_INTERVAL = 5.0
PENDING_STATUSES = frozenset({403, 404})
REQUEST_TIMEOUT = 30.0
HEADERS = {"Accept": "application/json", "originator": ORIGINATOR}


class DeviceCode(BaseModel):
    """What to show the user."""

    user_code: str
    verification_url: str
    interval: float
    """Seconds between polls."""


class _UserCodeAnswer(BaseModel):
    device_auth_id: str
    user_code: str = Field(validation_alias=AliasChoices("user_code", "usercode"))
    interval: float = DEFAULT_INTERVAL

    @field_validator("interval", mode="before")
    @classmethod
    def _interval_from_string(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class _IssuedCode(BaseModel):
    authorization_code: str
    code_verifier: str


class DeviceLogin:
    """One device-code sign-in attempt."""

    def __init__(
        self,
        endpoints: Endpoints,
        http: httpx2.AsyncClient,
        *,
        timeout: float = 900.0,
        poll_interval: float | None = None,
    ) -> None:
        self._endpoints = endpoints
        self._http = http
        self._timeout = timeout
        self._poll_interval = poll_interval
        self._code: _UserCodeAnswer | None = None
        self._deadline: float | None = None
        self._cancelled = asyncio.Event()

    @property
    def _api(self) -> str:
        return f"{self._endpoints.auth_url}/api/accounts/deviceauth"

    async def start(self) -> DeviceCode:
        """Ask the server for a user code."""
        loop = asyncio.get_running_loop()
        self._deadline = loop.time() + self._timeout
        try:
            response = await self._post("usercode", {"client_id": CLIENT_ID})
        except httpx2.TransportError as exc:
            raise LoginError(
                f"Device code request could not reach the server ({describe_transport_error(exc)})"
            ) from None
        if response.status_code == 404:
            raise LoginError(
                "Device code sign-in is not enabled on this server; use the browser sign-in"
            )
        if not response.is_success:
            raise LoginError(f"Device code request failed (HTTP {response.status_code})")
        try:
            self._code = _UserCodeAnswer.model_validate(_json_or_none(response))
        except ValidationError:
            raise LoginError("Device code answer is not understood") from None
        return DeviceCode(
            user_code=self._code.user_code,
            verification_url=f"{self._endpoints.auth_url}/codex/device",
            interval=self._interval(),
        )

    async def wait(self) -> LoginResult:
        """Poll until confirmed, then exchange: `LoginTimeout`, `LoginCancelled`, `LoginError`."""
        if self._code is None or self._deadline is None:
            raise RuntimeError("the device login is not started")
        loop = asyncio.get_running_loop()
        polling = asyncio.ensure_future(self._poll_then_exchange(self._code))
        cancelled = asyncio.ensure_future(self._cancelled.wait())
        try:
            await asyncio.wait(
                {polling, cancelled},
                timeout=max(0.0, self._deadline - loop.time()),
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            for task in (polling, cancelled):
                task.cancel()
            await asyncio.gather(polling, cancelled, return_exceptions=True)
        if polling.done() and not polling.cancelled():
            return polling.result()
        if self._cancelled.is_set():
            raise LoginCancelled("Device sign-in cancelled")
        raise LoginTimeout(
            f"Device sign-in timed out: the code was not confirmed within {self._timeout:g} seconds"
        )

    def cancel(self) -> None:
        self._cancelled.set()

    async def _poll_then_exchange(self, code: _UserCodeAnswer) -> LoginResult:
        issued = await self._poll(code)
        return await exchange_code(
            self._http,
            self._endpoints,
            code=issued.authorization_code,
            code_verifier=issued.code_verifier,
            redirect_uri=f"{self._endpoints.auth_url}/deviceauth/callback",
        )

    async def _poll(self, code: _UserCodeAnswer) -> _IssuedCode:
        body = {"device_auth_id": code.device_auth_id, "user_code": code.user_code}
        while True:
            try:
                response = await self._post("token", body)
            except httpx2.TransportError:
                response = None  # a network blip; the code is still pending server-side
            if response is not None and response.is_success:
                try:
                    return _IssuedCode.model_validate(_json_or_none(response))
                except ValidationError:
                    raise LoginError("Device sign-in answer is not understood") from None
            if response is not None and _is_final_failure(response.status_code):
                raise LoginError(f"Device sign-in failed (HTTP {response.status_code})")
            await asyncio.sleep(self._interval())

    def _interval(self) -> float:
        if self._poll_interval is not None:
            return self._poll_interval
        server = self._code.interval if self._code is not None else DEFAULT_INTERVAL
        return server if server > 0 else DEFAULT_INTERVAL

    async def _post(self, path: str, body: dict[str, str]) -> httpx2.Response:
        return await self._http.post(
            f"{self._api}/{path}", json=body, headers=HEADERS, timeout=REQUEST_TIMEOUT
        )


def _is_final_failure(status: int) -> bool:
    return status not in PENDING_STATUSES and status < 500 and status != 429


def _json_or_none(response: httpx2.Response) -> object:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
