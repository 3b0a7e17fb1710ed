"""The server's building blocks on their own: log scrubbing, the status feed's
change detection, session overrides, login failure reasons and a login that times out."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest
from pygls.exceptions import JsonRpcException

from multicodex.app import App, AppError
from multicodex.app.login_flow import failure_reason
from multicodex.app.preferences import describe_policy
from multicodex.app.session import SessionOverrides
from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.status import REFRESH_SETTLE_SECONDS, StatusFeed
from multicodex.auth.errors import LoginError
from multicodex.auth.pkce_login import StateMismatch
from multicodex.logsetup import ScrubbingFormatter, scrub
from multicodex.model import (
    FooterSettings,
    RotationPolicy,
    StoredAccount,
    TokenSet,
    UsageSnapshot,
    UsageWindow,
)
from multicodex.protocol import (
    ErrorCode,
    FooterPatch,
    InitializationOptions,
    LoginIdParams,
    LoginStartParams,
    Method,
    RotationPatch,
    Status,
)
from multicodex.server import MultiCodexServer
from support.server_rig import free_port, server_env

JWT = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.c2ln"


def test_scrub_removes_tokens_wherever_they_appear() -> None:
    text = (
        f"Bearer {JWT} access_token={JWT}&code=ac_abcdefghijklmnop1234 "
        '{"refresh_token": "rt_abcdefghijklmnopqrstuvwxyz"} plain words stay'
    )
    cleaned = scrub(text)
    assert JWT not in cleaned
    assert "ac_abcdefghijklmnop1234" not in cleaned
    assert "rt_abcdefghijklmnopqrstuvwxyz" not in cleaned
    assert "plain words stay" in cleaned


def test_the_log_formatter_scrubs_tracebacks_too() -> None:
    try:
        raise ValueError(f"boom {JWT}")
    except ValueError as exc:
        info = (type(exc), exc, None)
        record = logging.LogRecord("x", logging.WARNING, __file__, 1, "failed", (), info)
    formatted = ScrubbingFormatter("%(message)s").format(record)
    assert "boom" in formatted
    assert JWT not in formatted


def account(key: str, used: float, fetched_at: float) -> StoredAccount:
    email, account_id = key.split("|")
    return StoredAccount(
        key=key,
        email=email,
        account_id=account_id,
        tokens=TokenSet(access_token="a", refresh_token="r", expires_at=2e9),
        usage=UsageSnapshot(
            five_hour=UsageWindow(used_percent=used, window_seconds=18000, resets_at=1e10),
            weekly=UsageWindow(used_percent=used, window_seconds=604800, resets_at=1e10),
            fetched_at=fetched_at,
        ),
        added_at=0.0,
    )


def snapshot_at(now: float, used: float) -> PoolSnapshot:
    return PoolSnapshot(
        accounts=[account("a@x.test|acct-a", used, fetched_at=990.0)],
        pinned=None,
        policy=RotationPolicy(),
        footer=FooterSettings(),
        usage_ttl=300,
        now=now,
    )


def test_the_status_feed_publishes_changes_only() -> None:
    state = {"now": 1000.0, "used": 10.0}
    published: list[Status] = []
    feed = StatusFeed(lambda: snapshot_at(state["now"], state["used"]), published.append)

    silent = feed.current()
    first = feed.start_publishing()
    feed.current()
    state["now"] += 0.5  # only ages and the time of computation move
    feed.current()
    state["used"] = 40.0
    changed = feed.current()

    assert silent.revision == first.revision == 1
    assert [s.revision for s in published] == [1, 2]
    assert changed.revision == 2
    assert published[-1].accounts[0].usage is not None
    assert published[-1].accounts[0].usage.five_hour == UsageWindow(
        used_percent=40.0, window_seconds=18000, resets_at=1e10
    )


async def test_refresh_requests_in_a_burst_are_computed_once_after_the_settle_time() -> None:
    computed: list[float] = []

    def snapshot() -> PoolSnapshot:
        computed.append(1.0)
        return snapshot_at(1000.0, 10.0)

    feed = StatusFeed(snapshot, lambda _status: None)
    for _ in range(10):
        feed.request_refresh()
    await asyncio.sleep(0)
    assert computed == []  # not in the turn that asked: the next request goes first
    await asyncio.sleep(REFRESH_SETTLE_SECONDS * 3)
    assert len(computed) == 1
    feed.request_refresh()  # a change after that refresh gets one of its own
    await asyncio.sleep(REFRESH_SETTLE_SECONDS * 3)
    assert len(computed) == 2


def test_session_overrides_lie_over_the_stored_settings_until_released() -> None:
    overrides = SessionOverrides(FooterPatch(usage_mode="used"), RotationPatch(retry_limit=1))
    stored = FooterSettings(usage_mode="left", order="usage-first")

    assert overrides.footer(stored).usage_mode == "used"
    assert overrides.footer(stored).order == "usage-first"
    assert overrides.rotation(RotationPolicy()).retry_limit == 1
    overrides.release_footer(FooterPatch(usage_mode="left"))
    assert overrides.footer(stored).usage_mode == "left"
    assert not overrides.footer_overridden
    assert overrides.rotation_overridden


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (StateMismatch("State mismatch: ..."), "state_mismatch"),
        (LoginError("Missing authorization code"), "missing_code"),
        (LoginError("Codex is not enabled (missing_codex_entitlement)."), "no_entitlement"),
        (LoginError("Sign-in was refused (access_denied)"), "denied"),
        (LoginError("Token exchange failed: invalid_grant (HTTP 400)"), "exchange_failed"),
        (LoginError("Token exchange failed: tokens carry no ChatGPT account id"), "invalid_tokens"),
        (LoginError("Device code sign-in is not enabled on this server"), "device_unavailable"),
        (LoginError("something else"), "other"),
    ],
)
def test_login_failures_are_classified(error: LoginError, reason: str) -> None:
    assert failure_reason(error) == reason


def test_policy_description_names_the_fallback_cooldown() -> None:
    assert "(1 hour when unknown)" in describe_policy(RotationPolicy())[2]
    two_minutes = RotationPolicy(fallback_cooldown_seconds=120)
    assert "(2 minutes when unknown)" in describe_policy(two_minutes)[2]
    assert "conversation" not in describe_policy(RotationPolicy(sticky=False))[0]


async def test_a_login_nobody_finishes_times_out_and_releases_its_port(tmp_path: Path) -> None:
    port = free_port()
    app = App(
        InitializationOptions(home=str(tmp_path / "store"), callback_ports=[port]),
        env=server_env(tmp_path),
    )
    try:
        start = await app.login_start(
            LoginStartParams.model_construct(timeout_seconds=0.3, open_browser=False)
        )
        with pytest.raises(AppError) as failure:
            await app.login_wait(LoginIdParams(login_id=start.login_id))
    finally:
        await app.aclose()
    assert failure.value.code is ErrorCode.LOGIN_TIMED_OUT
    assert failure.value.data_json() == {"login_id": start.login_id, "expires_at": start.expires_at}


class _BrokenApp:
    async def call(self, method: object, params: object) -> object:
        raise RuntimeError(f"{CODE_IN_MESSAGE} went somewhere it should not")


CODE_IN_MESSAGE = "ac_abcdefghijklmnopqrstuvwx"


async def test_an_unexpected_failure_is_an_internal_error_with_an_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = MultiCodexServer()
    server.app = _BrokenApp()  # type: ignore[assignment]

    with pytest.raises(JsonRpcException) as failure:
        await server.dispatch(Method.STATUS_GET, {})

    error = failure.value.to_response_error()
    assert error.code == -32603
    assert error.data["exception_type"] == "RuntimeError"
    error_id = error.data["error_id"]
    assert error.message == f"internal error (see the server log, id {error_id})"
    assert set(error.data) == {"error_id", "exception_type"}
    [record] = [r for r in caplog.records if error_id in r.getMessage()]
    logged = ScrubbingFormatter("%(message)s").format(record)
    assert "Traceback" in logged
    assert CODE_IN_MESSAGE not in logged
