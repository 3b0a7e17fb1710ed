"""All emulator state behind one lock, with the operations routes and the API perform.

Route handlers and the Python/control APIs run on different threads (the server may run
in its own thread), so every public method takes the lock and never awaits inside it.
"""

from __future__ import annotations

import secrets
import threading
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from multicodex.config import CLIENT_ID
from multicodex_emulator import ratelimits
from multicodex_emulator.accounts import AccountState, Meter
from multicodex_emulator.catalog import Catalog, CatalogModel
from multicodex_emulator.clock import EmuClock
from multicodex_emulator.faults import ResponseFault, TokenFault, UsageFault
from multicodex_emulator.grants import (
    AccessFailure,
    AccessGrant,
    DeviceApproval,
    DeviceRecord,
    TokenAuthority,
    new_pkce_pair,
)
from multicodex_emulator.models import (
    AccountUpdate,
    AccountView,
    Counters,
    CreateAccountRequest,
    CreditsUpdate,
    EmuAccount,
    EmuSettings,
    SettingsUpdate,
    SetUsageRequest,
    TokenResponse,
    ToolCall,
)
from multicodex_emulator.prompt_cache import PromptCache
from multicodex_emulator.reasoning_seal import ReasoningSealer
from multicodex_emulator.recorder import RequestLog
from multicodex_emulator.tool_calls import ToolCallScripts
from multicodex_emulator.windows import (
    LAYOUT_BY_PLAN,
    QuotaWindow,
    clamp_percent,
    layout_windows,
    spark_windows,
)

RefusalCode = Literal[
    "refresh_token_reused",
    "refresh_token_expired",
    "refresh_token_invalidated",
    "token_expired",
    "account_deactivated",
]
CounterName = Literal[
    "responses",
    "responses_429",
    "responses_completed",
    "responses_failed",
    "client_disconnects",
    "refreshes",
    "refresh_reused",
    "refresh_failures",
    "usage_fetches",
    "authorize",
    "code_exchanges",
    "device_approvals",
]
_T = TypeVar("_T")


class UnknownAccountError(KeyError):
    def __str__(self) -> str:
        return f"unknown account {self.args[0]!r}"


class GrantError(ValueError):
    """An OAuth grant refused with `invalid_grant`; the message is the description."""


@dataclass(frozen=True)
class RefreshRefusal:
    code: RefusalCode
    account_id: str | None = None


@dataclass(frozen=True)
class Granted:
    account_id: str
    tokens: TokenResponse


@dataclass(frozen=True)
class Admission:
    """How a response request is met: the meter it is charged to, or the 429 body."""

    meter: Meter
    refusal: dict[str, Any] | None


@dataclass(frozen=True)
class AuthorizationDenied:
    error: str
    description: str


@dataclass(frozen=True)
class DevicePending:
    pass


class EmulatorState:
    def __init__(self, settings: EmuSettings, clock: EmuClock) -> None:
        self.lock = threading.RLock()
        self.settings = settings
        self.clock = clock
        self.authority = TokenAuthority()
        self.log = RequestLog()
        self.catalog = Catalog()
        self.tool_scripts = ToolCallScripts()
        self.prompt_cache = PromptCache()
        self.sealer = ReasoningSealer()
        self._accounts: dict[str, AccountState] = {}
        self._token_faults: deque[TokenFault] = deque()
        self._authorize_target: str | None = None
        self._authorize_denial: AuthorizationDenied | None = None

    def now(self) -> float:
        return self.clock.now()

    # --- settings ------------------------------------------------------------------------

    def update_settings(self, update: SettingsUpdate) -> EmuSettings:
        with self.lock:
            changes = update.model_dump(exclude_unset=True)
            self.settings = EmuSettings.model_validate({**self.settings.model_dump(), **changes})
            return self.settings.model_copy()

    # --- accounts ------------------------------------------------------------------------

    def add_account(self, request: CreateAccountRequest) -> EmuAccount:
        with self.lock:
            account_id = request.account_id or str(uuid.uuid4())
            if account_id in self._accounts:
                raise ValueError(f"account {account_id!r} already exists")
            layout = request.layout or LAYOUT_BY_PLAN.get(request.plan, "plus")
            windows = layout_windows(
                layout, self.now(), request.five_hour_used, request.weekly_used
            )
            account = AccountState(
                account_id=account_id,
                email=request.email,
                plan=request.plan,
                layout=layout,
                user_id=f"user-{secrets.token_hex(12)}",
                cost_percent=request.cost_percent,
                windows=windows,
                spark=spark_windows(self.now()),
                response_deltas=request.response_deltas,
            )
            self._accounts[account_id] = account
            return account.public()

    def accounts(self) -> list[EmuAccount]:
        with self.lock:
            return [a.public() for a in self._accounts.values()]

    def view(self, account_id: str) -> AccountView:
        return self._with_rolled(account_id, lambda a: a.view())

    def update_account(self, account_id: str, update: AccountUpdate) -> EmuAccount:
        with self.lock:
            account = self._get(account_id)
            for name, value in update.model_dump(exclude_unset=True).items():
                if value is not None or name == "response_deltas":
                    setattr(account, name, value)
            return account.public()

    def set_usage(self, account_id: str, request: SetUsageRequest) -> AccountView:
        with self.lock:
            account = self._get(account_id)
            account.roll(self.now())
            for kind, used, resets_at in (
                ("five_hour", request.five_hour_used, request.five_hour_resets_at),
                ("weekly", request.weekly_used, request.weekly_resets_at),
            ):
                if used is None and resets_at is None:
                    continue
                window = account.window_of(kind)
                if window is None:
                    raise ValueError(f"layout {account.layout!r} has no five-hour window")
                _set_window(window, used, resets_at)
            for kind, used, resets_at in (
                ("five_hour", request.spark_five_hour_used, request.spark_five_hour_resets_at),
                ("weekly", request.spark_weekly_used, request.spark_weekly_resets_at),
            ):
                _set_window(account.spark_window_of(kind), used, resets_at)
            return account.view()

    def set_credits(self, account_id: str, update: CreditsUpdate) -> AccountView:
        with self.lock:
            account = self._get(account_id)
            account.roll(self.now())
            if update.balance is not None:
                account.credit_balance = update.balance
                account.has_credits = update.balance > 0
            if update.has_credits is not None:
                account.has_credits = update.has_credits
            if update.cost_per_response is not None:
                account.credit_cost = update.cost_per_response
            if update.reset_credits is not None:
                account.reset_credits = update.reset_credits
            return account.view()

    def set_deactivated(self, account_id: str, deactivated: bool) -> EmuAccount:
        with self.lock:
            account = self._get(account_id)
            account.deactivated = deactivated
            return account.public()

    def counters(self, account_id: str) -> Counters:
        with self.lock:
            return self._get(account_id).counters.model_copy()

    def count(self, account_id: str, counter: CounterName) -> None:
        with self.lock:
            account = self._accounts.get(account_id)
            if account is not None:
                setattr(account.counters, counter, getattr(account.counters, counter) + 1)

    def advance_clock(self, seconds: float) -> float:
        with self.lock:
            return self.clock.advance(seconds)

    # --- fault scripts -------------------------------------------------------------------

    def script_faults(
        self, account_id: str, faults: Sequence[ResponseFault], append: bool = False
    ) -> int:
        with self.lock:
            return _script(self._get(account_id).faults, faults, append)

    def script_usage_faults(
        self, account_id: str, faults: Sequence[UsageFault], append: bool = False
    ) -> int:
        with self.lock:
            return _script(self._get(account_id).usage_faults, faults, append)

    def script_token_faults(self, faults: Sequence[TokenFault], append: bool = False) -> int:
        with self.lock:
            return _script(self._token_faults, faults, append)

    def next_fault(self, account_id: str) -> ResponseFault | None:
        with self.lock:
            queue = self._get(account_id).faults
            return queue.popleft() if queue else None

    def next_usage_fault(self, account_id: str) -> UsageFault | None:
        with self.lock:
            queue = self._get(account_id).usage_faults
            return queue.popleft() if queue else None

    def next_token_fault(self) -> TokenFault | None:
        with self.lock:
            return self._token_faults.popleft() if self._token_faults else None

    # --- tokens --------------------------------------------------------------------------

    def issue_tokens(self, account_id: str) -> TokenResponse:
        """A fresh login session for the account (its own refresh-token chain)."""
        with self.lock:
            account = self._get(account_id)
            return self._mint(account, generation=0)

    def refresh(self, refresh_token: str) -> Granted | RefreshRefusal:
        """Rotate a refresh token: atomic, so two racing uses yield exactly one success."""
        with self.lock:
            record = self.authority.refresh_record(refresh_token)
            account = self._accounts.get(record.account_id) if record else None
            if record is None or account is None:
                return RefreshRefusal("token_expired")
            self.authority.age_out(record, self.now(), self.settings.refresh_token_lifetime)
            refusal = _refusal_for(record.state, account.deactivated)
            if refusal is not None:
                counter: CounterName = (
                    "refresh_reused"
                    if refusal.code == "refresh_token_reused"
                    else "refresh_failures"
                )
                self.count(account.account_id, counter)
                return RefreshRefusal(refusal.code, account.account_id)
            record.state = "used"
            account.counters.refreshes += 1
            return Granted(account.account_id, self._mint(account, record.generation + 1))

    def exchange_code(self, code: str, client_id: str, redirect_uri: str, verifier: str) -> Granted:
        with self.lock:
            try:
                account_id = self.authority.redeem_code(
                    code, client_id, redirect_uri, verifier, self.now()
                )
            except ValueError as exc:
                raise GrantError(str(exc)) from None
            account = self._get(account_id)
            account.counters.code_exchanges += 1
            return Granted(account_id, self._mint(account, generation=0))

    def api_key_for(self, id_token: str) -> str | None:
        with self.lock:
            account_id = self.authority.identify_id_token(id_token)
            if account_id is None or account_id not in self._accounts:
                return None
            return f"sk-emu-{secrets.token_hex(20)}"

    def revoke_token(self, token: str) -> None:
        with self.lock:
            self.authority.revoke_token(token)

    def expire_access_tokens(self, account_id: str) -> int:
        with self.lock:
            self._get(account_id)
            return self.authority.expire_access(account_id, self.now())

    def revoke_access_tokens(self, account_id: str) -> int:
        with self.lock:
            self._get(account_id)
            return self.authority.revoke_access(account_id)

    def expire_refresh_tokens(self, account_id: str) -> int:
        with self.lock:
            self._get(account_id)
            return self.authority.set_refresh_state(account_id, "expired")

    def revoke_refresh_tokens(self, account_id: str) -> int:
        with self.lock:
            self._get(account_id)
            return self.authority.set_refresh_state(account_id, "revoked")

    def _mint(self, account: AccountState, generation: int) -> TokenResponse:
        return self.authority.mint(
            account.identity, generation, self.now(), self.settings.token_lifetime
        )

    # --- authorize and device flows ------------------------------------------------------

    def authorize_as(self, account_id: str) -> None:
        with self.lock:
            self._get(account_id)
            self._authorize_target = account_id

    def deny_next_authorize(self, error: str, description: str) -> None:
        with self.lock:
            self._authorize_denial = AuthorizationDenied(error, description)

    def approve_authorization(
        self, client_id: str, redirect_uri: str, code_challenge: str
    ) -> str | AuthorizationDenied:
        """The code for the auto-approved account, or the scripted denial."""
        with self.lock:
            if self._authorize_denial is not None:
                denial, self._authorize_denial = self._authorize_denial, None
                return denial
            account = self._approving_account()
            if account is None:
                return AuthorizationDenied("access_denied", "no emulated account to sign in")
            account.counters.authorize += 1
            return self.authority.new_code(
                account.account_id,
                client_id,
                redirect_uri,
                code_challenge,
                self.now() + self.settings.code_ttl,
            )

    def _approving_account(self) -> AccountState | None:
        if self._authorize_target is not None:
            return self._accounts.get(self._authorize_target)
        return next(iter(self._accounts.values()), None)

    def start_device(self) -> DeviceRecord:
        with self.lock:
            return self.authority.new_device(self.now())

    def approve_device(self, user_code: str, account_id: str | None) -> None:
        with self.lock:
            device = self.authority.device_by_user_code(user_code)
            if device is None or device.consumed:
                raise ValueError(f"unknown device user code {user_code!r}")
            account = self._get(account_id) if account_id else self._approving_account()
            if account is None:
                raise ValueError("no emulated account to approve the device with")
            device.approved_account = account.account_id

    def poll_device(
        self, device_auth_id: str, user_code: str, redirect_uri: str
    ) -> DeviceApproval | DevicePending | None:
        """None when unknown, expired or already redeemed."""
        with self.lock:
            device = self.authority.devices.get(device_auth_id)
            if device is None or device.consumed or device.user_code != user_code.strip().upper():
                return None
            if self.now() >= device.expires_at:
                return None
            device.polls += 1
            auto_after = self.settings.device_auto_approve_after
            auto_approve = auto_after is not None and device.polls > auto_after
            if device.approved_account is None and auto_approve:
                approving = self._approving_account()
                device.approved_account = approving.account_id if approving else None
            if device.approved_account is None:
                return DevicePending()
            device.consumed = True
            account = self._get(device.approved_account)
            account.counters.device_approvals += 1
            verifier, challenge = new_pkce_pair()
            code = self.authority.new_code(
                account.account_id,
                CLIENT_ID,
                redirect_uri,
                challenge,
                self.now() + self.settings.code_ttl,
            )
            return DeviceApproval(account.account_id, code, challenge, verifier)

    # --- backend -------------------------------------------------------------------------

    def authenticate(self, token: str) -> AccessGrant | AccessFailure:
        """Bearer check; a deactivated account fails even with a valid token."""
        with self.lock:
            outcome = self.authority.check_access(token, self.now())
            account_id = outcome.account_id
            account = self._accounts.get(account_id) if account_id else None
            if account_id is not None and account is None:
                return AccessFailure("malformed")
            if account is not None and account.deactivated:
                return AccessFailure("deactivated", account.account_id)
            return outcome

    def rate_headers(self, account_id: str, meter: Meter = "included") -> dict[str, str]:
        return self._with_rolled(
            account_id, lambda a: ratelimits.rate_limit_headers(a, self.now(), meter)
        )

    def usage_payload(self, account_id: str) -> dict[str, Any]:
        return self._with_rolled(account_id, lambda a: ratelimits.usage_payload(a, self.now()))

    def admit(self, account_id: str, model: str, stale: bool = False) -> Admission:
        """The meter a request for `model` is charged to, with the 429 body if its windows
        are exhausted (or `stale` forces one). Paid credits serve past the included quota."""

        def admission(account: AccountState) -> Admission:
            found = self.catalog.find(model)
            meter = account.meter_for(found.metered_feature if found else None)
            exhausted = account.refusal_windows(meter)
            if not stale and not exhausted:
                return Admission(meter, None)
            return Admission(meter, ratelimits.usage_limit_body(account, self.now(), exhausted))

        return self._with_rolled(account_id, admission)

    def charge(self, account_id: str, meter: Meter = "included") -> None:
        """One successful response: the meter's windows fill by `cost_percent` (credits:
        the balance drops by `cost_per_response`)."""
        with self.lock:
            account = self._get(account_id)
            account.roll(self.now())
            account.charge(meter)
            account.counters.responses_completed += 1

    def reset_credits(self, account_id: str) -> dict[str, int]:
        return self._with_rolled(account_id, ratelimits.reset_credits_json)

    def redeem_reset_credit(self, account_id: str, redeem_request_id: str) -> dict[str, Any]:
        def redeem(account: AccountState) -> dict[str, Any]:
            code = account.redeem_reset_credit(redeem_request_id, self.now())
            return {
                "code": code,
                "redeem_request_id": redeem_request_id,
                **ratelimits.reset_credits_json(account),
            }

        return self._with_rolled(account_id, redeem)

    # --- model catalog -------------------------------------------------------------------

    def models_document(self, client_version: str | None, plan: str) -> dict[str, Any]:
        with self.lock:
            return self.catalog.document(client_version, plan)

    def model_allowed(self, slug: str, plan: str) -> bool:
        with self.lock:
            return self.catalog.allowed(slug, plan)

    def model_required_version(self, slug: str, client_version: str | None) -> str | None:
        with self.lock:
            return self.catalog.required_version(slug, client_version)

    def set_minimal_client_version(self, slug: str, version: str) -> CatalogModel:
        with self.lock:
            return self.catalog.set_minimal_version(slug, version)

    def account_snapshot(self, account_id: str) -> EmuAccount:
        with self.lock:
            return self._get(account_id).public()

    def script_tool_calls(self, account_id: str | None, calls: Sequence[ToolCall]) -> int:
        """Queue one answer calling `calls` for the account (None: for any account)."""
        if account_id is not None:
            self.account_snapshot(account_id)  # an unknown account is an error
        return self.tool_scripts.add(account_id, calls)

    def clear_tool_calls(self, account_id: str | None) -> int:
        if account_id is not None:
            self.account_snapshot(account_id)
        return self.tool_scripts.clear(account_id)

    def deltas_for(self, account_id: str) -> int:
        with self.lock:
            return self._get(account_id).response_deltas or self.settings.default_deltas

    def _with_rolled(self, account_id: str, read: Callable[[AccountState], _T]) -> _T:
        with self.lock:
            account = self._get(account_id)
            account.roll(self.now())
            return read(account)

    def _get(self, account_id: str) -> AccountState:
        account = self._accounts.get(account_id)
        if account is None:
            raise UnknownAccountError(account_id)
        return account


def _set_window(window: QuotaWindow, used: float | None, resets_at: float | None) -> None:
    if used is not None:
        window.used_percent = clamp_percent(used)
    if resets_at is not None:
        window.reset_at = float(resets_at)


def _script(queue: deque[_T], items: Sequence[_T], append: bool) -> int:
    if not append:
        queue.clear()
    queue.extend(items)
    return len(queue)


def _refusal_for(state: str, deactivated: bool) -> RefreshRefusal | None:
    if deactivated:
        return RefreshRefusal("account_deactivated")
    if state == "used":
        return RefreshRefusal("refresh_token_reused")
    if state == "revoked":
        return RefreshRefusal("refresh_token_invalidated")
    if state == "expired":
        return RefreshRefusal("refresh_token_expired")
    return None
