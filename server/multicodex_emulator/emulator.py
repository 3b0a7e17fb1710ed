"""`Emulator`: the Python face of the emulator, for tests, the demo and benchmarks.

Every operation here is also reachable over HTTP under `/_emu` (see `control.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
import weakref
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from typing import Any

from multicodex_emulator.app import build_app
from multicodex_emulator.clock import EmuClock
from multicodex_emulator.context import AppContext
from multicodex_emulator.faults import (
    FaultInput,
    parse_response_faults,
    parse_token_faults,
    parse_usage_faults,
)
from multicodex_emulator.models import (
    AccountUpdate,
    AccountView,
    CreateAccountRequest,
    CreditsUpdate,
    EmuAccount,
    EmuSettings,
    MinimalVersionRequest,
    RecordedRequest,
    SettingsUpdate,
    SetUsageRequest,
    ToolCall,
    ToolCallScriptRequest,
)
from multicodex_emulator.server import TlsMaterials, serve_app
from multicodex_emulator.state import EmulatorState
from multicodex_emulator.windows import Layout

_THREAD_START_TIMEOUT = 30.0


class Emulator:
    """A loopback stand-in for auth.openai.com and chatgpt.com/backend-api."""

    def __init__(
        self,
        token_lifetime: int = 864000,
        tokens_per_second: float = 200.0,
        clock: Callable[[], float] | None = None,
        *,
        default_deltas: int = 20,
        refresh_token_lifetime: float | None = None,
    ) -> None:
        settings = EmuSettings(
            token_lifetime=token_lifetime,
            tokens_per_second=tokens_per_second,
            default_deltas=default_deltas,
            refresh_token_lifetime=refresh_token_lifetime,
        )
        self._state = EmulatorState(settings, EmuClock(clock))
        self._tls: TlsMaterials | None = None
        self.base_url: str | None = None
        """The URL while serving, else None."""

    # --- accounts ------------------------------------------------------------------------

    def add_account(
        self,
        email: str,
        plan: str = "plus",
        layout: Layout | None = None,
        five_hour_used: float = 0.0,
        weekly_used: float = 0.0,
        cost_percent: float = 1.0,
        account_id: str | None = None,
        response_deltas: int | None = None,
    ) -> EmuAccount:
        """Create an account. Without `layout`: "free" for plan free, "weekly" for pro,
        else "plus" (5 h primary + 7 d secondary)."""
        request = CreateAccountRequest(
            email=email,
            plan=plan,
            layout=layout,
            five_hour_used=five_hour_used,
            weekly_used=weekly_used,
            cost_percent=cost_percent,
            account_id=account_id,
            response_deltas=response_deltas,
        )
        return self._state.add_account(request)

    def accounts(self) -> list[EmuAccount]:
        return self._state.accounts()

    def account(self, account_id: str) -> AccountView:
        return self._state.view(account_id)

    def update_account(
        self,
        account_id: str,
        *,
        plan: str | None = None,
        cost_percent: float | None = None,
        response_deltas: int | None = None,
    ) -> EmuAccount:
        changes = {
            k: v
            for k, v in {
                "plan": plan,
                "cost_percent": cost_percent,
                "response_deltas": response_deltas,
            }.items()
            if v is not None
        }
        return self._state.update_account(account_id, AccountUpdate.model_validate(changes))

    def deactivate(self, account_id: str, deactivated: bool = True) -> EmuAccount:
        return self._state.set_deactivated(account_id, deactivated)

    # --- tokens --------------------------------------------------------------------------

    def issue_tokens(self, account_id: str) -> dict[str, Any]:
        """Tokens of a fresh login, shaped like the token endpoint's answer."""
        return self._state.issue_tokens(account_id).model_dump()

    def expire_access_tokens(self, account_id: str) -> int:
        return self._state.expire_access_tokens(account_id)

    def revoke_access_tokens(self, account_id: str) -> int:
        return self._state.revoke_access_tokens(account_id)

    def expire_refresh_tokens(self, account_id: str) -> int:
        return self._state.expire_refresh_tokens(account_id)

    def revoke_refresh_tokens(self, account_id: str) -> int:
        return self._state.revoke_refresh_tokens(account_id)

    def authorize_as(self, account_id: str) -> None:
        """The account that /oauth/authorize (and device codes) approve from now on."""
        self._state.authorize_as(account_id)

    def deny_next_authorize(
        self, error: str = "access_denied", description: str = "missing_codex_entitlement"
    ) -> None:
        self._state.deny_next_authorize(error, description)

    def approve_device(self, user_code: str, account_id: str | None = None) -> None:
        self._state.approve_device(user_code, account_id)

    # --- usage, clock, faults ------------------------------------------------------------

    def set_usage(
        self,
        account_id: str,
        five_hour_used: float | None = None,
        weekly_used: float | None = None,
        five_hour_resets_at: float | None = None,
        weekly_resets_at: float | None = None,
        *,
        spark_five_hour_used: float | None = None,
        spark_weekly_used: float | None = None,
        spark_five_hour_resets_at: float | None = None,
        spark_weekly_resets_at: float | None = None,
    ) -> AccountView:
        """`weekly_*` addresses the long window (7 d, or ~30 d for the monthly layout);
        `spark_*` the Spark model's own windows. Percentages above 100 are served as is."""
        request = SetUsageRequest(
            five_hour_used=five_hour_used,
            weekly_used=weekly_used,
            five_hour_resets_at=five_hour_resets_at,
            weekly_resets_at=weekly_resets_at,
            spark_five_hour_used=spark_five_hour_used,
            spark_weekly_used=spark_weekly_used,
            spark_five_hour_resets_at=spark_five_hour_resets_at,
            spark_weekly_resets_at=spark_weekly_resets_at,
        )
        return self._state.set_usage(account_id, request)

    def set_credits(
        self,
        account_id: str,
        *,
        has_credits: bool | None = None,
        balance: float | None = None,
        cost_per_response: float | None = None,
        reset_credits: int | None = None,
    ) -> AccountView:
        """Paid credits (a balance serves past the included quota, `cost_per_response`
        each) and the number of banked rate-limit reset credits."""
        update = CreditsUpdate(
            has_credits=has_credits,
            balance=balance,
            cost_per_response=cost_per_response,
            reset_credits=reset_credits,
        )
        return self._state.set_credits(account_id, update)

    def set_minimal_client_version(self, model: str, version: str) -> None:
        """Gate a model: `codex/models` hides it from older clients, and responses to a
        lower `version` header answer 400 "requires a newer version of Codex"."""
        self._state.set_minimal_client_version(
            model, MinimalVersionRequest(minimal_client_version=version).minimal_client_version
        )

    def usage(self, account_id: str) -> dict[str, Any]:
        """The wham/usage payload the account would get now."""
        return self._state.usage_payload(account_id)

    def now(self) -> float:
        return self._state.now()

    def advance_clock(self, seconds: float) -> float:
        return self._state.advance_clock(seconds)

    def script_faults(
        self, account_id: str, faults: Sequence[FaultInput], append: bool = False
    ) -> int:
        """Faults for the account's next /codex/responses requests, one per request."""
        return self._state.script_faults(account_id, parse_response_faults(faults), append)

    def script_tool_calls(
        self, calls: Sequence[ToolCall | Mapping[str, Any]], account_id: str | None = None
    ) -> int:
        """The next answer of `account_id` (None: of any account, after that account's own
        script) calls these tools: `{name, arguments, call_id?}` each, several in parallel.
        Each call queues one answer; returns how many are pending for that owner."""
        script = ToolCallScriptRequest.model_validate(
            {"calls": [c.model_dump() if isinstance(c, ToolCall) else c for c in calls]}
        )
        return self._state.script_tool_calls(account_id, script.calls)

    def clear_tool_calls(self, account_id: str | None = None) -> None:
        self._state.clear_tool_calls(account_id)

    def script_usage_faults(
        self, account_id: str, faults: Sequence[FaultInput], append: bool = False
    ) -> int:
        return self._state.script_usage_faults(account_id, parse_usage_faults(faults), append)

    def script_token_faults(self, faults: Sequence[FaultInput], append: bool = False) -> int:
        """Faults for the next /oauth/token requests (any account, any grant)."""
        return self._state.script_token_faults(parse_token_faults(faults), append)

    # --- settings and observation --------------------------------------------------------

    @property
    def settings(self) -> EmuSettings:
        return self._state.settings.model_copy()

    def update_settings(self, **changes: Any) -> EmuSettings:
        return self._state.update_settings(SettingsUpdate.model_validate(changes))

    def counters(self, account_id: str) -> dict[str, int]:
        return self._state.counters(account_id).model_dump()

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of the request log (control-API calls are not logged)."""
        return self._state.log.snapshot()

    def requests_to(self, path: str, account_id: str | None = None) -> list[RecordedRequest]:
        return self._state.log.snapshot(path=path, account_id=account_id)

    def clear_requests(self) -> None:
        self._state.log.clear()

    # --- serving -------------------------------------------------------------------------

    @property
    def ca_pem_path(self) -> str | None:
        return str(self._tls.ca_pem) if self._tls else None

    def client_ssl_context(self) -> ssl.SSLContext:
        """An SSL context trusting the emulator's CA (after serving with tls=True)."""
        if self._tls is None:
            raise RuntimeError("the emulator has not served TLS yet")
        return ssl.create_default_context(cafile=str(self._tls.ca_pem))

    @contextlib.asynccontextmanager
    async def serve(self, tls: bool = False, port: int = 0) -> AsyncIterator[str]:
        """Serve on 127.0.0.1 in the running loop; yields the base URL."""
        context = AppContext(self._state, asyncio.Event())
        async with serve_app(
            build_app(context), port, self._tls_materials() if tls else None, context.stopping.set
        ) as base_url:
            self.base_url = base_url
            try:
                yield base_url
            finally:
                self.base_url = None

    @contextlib.contextmanager
    def serve_in_thread(self, tls: bool = False, port: int = 0) -> Iterator[str]:
        """Serve from a thread with its own event loop; yields the base URL."""
        runner = _ThreadedServer(self, tls, port)
        base_url = runner.start()
        try:
            yield base_url
        finally:
            runner.stop()

    def _tls_materials(self) -> TlsMaterials:
        if self._tls is None:
            self._tls = TlsMaterials.create()
            weakref.finalize(self, self._tls.remove)
        return self._tls


class _ThreadedServer:
    def __init__(self, emulator: Emulator, tls: bool, port: int) -> None:
        self._emulator = emulator
        self._tls = tls
        self._port = port
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._base_url: str | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="multicodex-emulator", daemon=True)

    def start(self) -> str:
        self._thread.start()
        if not self._ready.wait(_THREAD_START_TIMEOUT):
            raise TimeoutError("the emulator thread did not start in time")
        if self._error is not None or self._base_url is None:
            self._thread.join(_THREAD_START_TIMEOUT)
            raise RuntimeError("the emulator failed to start") from self._error
        return self._base_url

    def stop(self) -> None:
        stop = self._stop
        if stop is not None:
            self._loop.call_soon_threadsafe(stop.set)
        self._thread.join(_THREAD_START_TIMEOUT)

    def _run(self) -> None:
        try:
            self._loop.run_until_complete(self._main())
        except BaseException as exc:
            self._error = exc
        finally:
            self._ready.set()
            self._loop.close()

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        async with self._emulator.serve(self._tls, self._port) as base_url:
            self._base_url = base_url
            self._ready.set()
            await self._stop.wait()
