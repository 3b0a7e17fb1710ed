"""The emulator as the real Codex CLI (npm @openai/codex 0.169.1 and 0.171.0) sees it.

Each test runs once per CLI release: it serves a fresh emulator over TLS on 127.0.0.1,
logs in through the emulator's own OAuth endpoints, runs `codex exec` once and checks both
what the CLI printed and what the emulator recorded. The CLIs are installed by setup.sh
(see conftest.py).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fidelity_rig import (
    MODEL,
    SETUP_TIMEOUT,
    SPARK_MODEL,
    CliRun,
    CodexCli,
    CodexHome,
    TokenGrant,
    WallClockBehind,
    jwt_claims,
    login_with_pkce,
)

from multicodex.config import CLIENT_ID
from multicodex_emulator import EmuAccount, Emulator, RecordedRequest, StatusFault
from multicodex_emulator.models import WindowView

# The first test also waits for setup.sh; every CLI run has its own shorter timeout.
pytestmark = pytest.mark.timeout(SETUP_TIMEOUT + 120)

RESPONSES_PATH = "/backend-api/codex/responses"
ACCOUNTS_CHECK_PATH = "/backend-api/wham/accounts/check"
MODELS_PATH = "/backend-api/codex/models"
SETTINGS_PATH = "/backend-api/wham/settings/user"
TOKEN_PATH = "/oauth/token"
TOOLING_STATE_PATH = "/backend-api/ps/plugins/tooling-state/turtle"
PLUGIN_SERVICE_PREFIX = "/backend-api/ps/"
PROMPT = "say hi"
USAGE_LIMIT_MESSAGE = "ERROR: You\u2019ve hit your usage limit."
# Answers the CLI may get besides 2xx: the WebSocket upgrade is refused on purpose and
# user settings are not emulated (the CLI tolerates both).
EXPECTED_REFUSALS = {(RESPONSES_PATH, 426), (SETTINGS_PATH, 404)}


def signed_in(
    emu: Emulator, base_url: str, home: CodexHome, email: str, plan: str = "plus"
) -> tuple[EmuAccount, TokenGrant]:
    """An account with one-delta answers, logged in, its tokens in the CLI's auth.json.

    The request log is cleared after the login: it then holds only what the CLI sends.
    """
    account = emu.add_account(email=email, plan=plan, response_deltas=1)
    emu.authorize_as(account.account_id)
    grant = login_with_pkce(emu, base_url)
    home.write_auth(grant, account.account_id)
    emu.clear_requests()
    return account, grant


def answer_of(account: EmuAccount) -> str:
    """The emulator's whole answer with one delta: it names the answering account."""
    return f"Hello from {account.email}."


def model_posts(emu: Emulator) -> list[RecordedRequest]:
    return [r for r in emu.requests_to(RESPONSES_PATH) if r.method == "POST"]


def refresh_requests(emu: Emulator) -> list[RecordedRequest]:
    return [r for r in emu.requests_to(TOKEN_PATH) if r.grant_type == "refresh_token"]


def refusals(emu: Emulator) -> set[tuple[str, int]]:
    return {(r.path, r.status) for r in emu.requests if r.status is not None and r.status >= 400}


def banner_session_id(run: CliRun) -> str:
    found = re.search(r"^session id: (\S+)$", run.stderr, re.MULTILINE)
    assert found, run.stderr
    return found.group(1)


def user_texts(body: dict[str, Any]) -> list[str]:
    return [
        part["text"]
        for item in body["input"]
        if item.get("type") == "message" and item.get("role") == "user"
        for part in item["content"]
        if part.get("type") == "input_text"
    ]


def assert_accept_encoding(emu: Emulator, cli: CodexCli) -> None:
    """Every plain HTTP request carries the release's accept-encoding (or none at all)."""
    http_requests = [r for r in emu.requests if "upgrade" not in r.headers]
    assert http_requests
    assert {r.headers.get("accept-encoding") for r in http_requests} == {cli.accept_encoding}


def window_use(windows: list[WindowView]) -> dict[str, float]:
    return {w.kind: w.used_percent for w in windows}


def assert_completed(run: CliRun, account: EmuAccount) -> None:
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == answer_of(account), run.stderr
    # The emulator's model list is one the CLI can decode (it would fall back otherwise).
    assert "failed to decode models response" not in run.stderr


def test_exec_prints_the_answer_and_sends_the_real_clients_request(
    codex_cli: CodexCli, emu: Emulator, emu_url: str, ca_pem: str, codex_home: CodexHome
) -> None:
    account, grant = signed_in(emu, emu_url, codex_home, "ada@example.test")

    run = codex_home.run_exec(codex_cli, ca_pem, PROMPT)

    assert_completed(run, account)
    session_id = banner_session_id(run)
    [post] = model_posts(emu)
    assert post.status == 200
    assert post.terminal_event == "response.completed"
    assert post.account_id == account.account_id
    assert post.token_id == jwt_claims(grant.access_token)["jti"]
    assert post.content_encoding == "zstd"
    assert post.body_encoding == "json"
    body = post.body
    assert body["model"] == MODEL
    assert body["stream"] is True
    assert body["store"] is False
    assert "instructions" not in body
    assert user_texts(body)[-1] == PROMPT
    assert post.headers["originator"] == "codex_exec"
    assert post.headers["user-agent"].startswith(f"codex_exec/{codex_cli.version} ")
    assert post.headers["chatgpt-account-id"] == account.account_id
    assert post.session_id == post.thread_id == body["prompt_cache_key"] == session_id

    [upgrade] = [r for r in emu.requests_to(RESPONSES_PATH) if r.method == "GET"]
    assert upgrade.headers["upgrade"].lower() == "websocket"
    assert upgrade.status == 426
    assert upgrade.session_id == session_id
    assert upgrade.id < post.id

    checks = emu.requests_to(ACCOUNTS_CHECK_PATH)
    assert checks
    assert all(r.status == 200 and r.account_id == account.account_id for r in checks)
    models = emu.requests_to(MODELS_PATH)
    assert models
    assert all(r.status == 200 for r in models)
    # The answer's x-models-etag matches the list already fetched: no fetch after it.
    assert all(r.id < post.id for r in models)
    assert refusals(emu) <= EXPECTED_REFUSALS
    assert_accept_encoding(emu, codex_cli)
    # 0.171 asks for zstd and is answered in it: the stream and model list it decoded.
    assert post.response_encoding == ("zstd" if codex_cli.accept_encoding else None)
    assert {r.response_encoding for r in models} == {post.response_encoding}

    counters = emu.counters(account.account_id)
    assert counters["responses"] == counters["responses_completed"] == 1
    assert counters["refreshes"] == 0
    assert run.auth.tokens.access_token == grant.access_token


def test_exhausted_account_shows_the_usage_limit_and_is_not_retried(
    codex_cli: CodexCli, emu: Emulator, emu_url: str, ca_pem: str, codex_home: CodexHome
) -> None:
    account, _ = signed_in(emu, emu_url, codex_home, "bo@example.test")
    # A reset on a whole minute, so the CLI's "h:MM PM" cannot round either way.
    reset_at = (int(emu.now()) // 60 + 30) * 60
    emu.set_usage(account.account_id, five_hour_used=100, five_hour_resets_at=reset_at)

    run = codex_home.run_exec(codex_cli, ca_pem, PROMPT)

    assert run.returncode == 1, run.stderr
    assert answer_of(account) not in run.stdout
    limit_lines = [line for line in run.stderr.splitlines() if line.startswith(USAGE_LIMIT_MESSAGE)]
    assert limit_lines, run.stderr
    reset_clock = datetime.fromtimestamp(reset_at, UTC).strftime("%-I:%M %p")
    for line in limit_lines:
        assert "Upgrade to Pro" in line  # the upsell for a plus plan
        assert "or try again at " in line
        assert line.endswith(f"{reset_clock}."), line

    [post] = model_posts(emu)
    assert post.status == 429
    assert post.error_code == "usage_limit_reached"
    counters = emu.counters(account.account_id)
    assert counters["responses"] == counters["responses_429"] == 1
    assert counters["responses_completed"] == 0


def test_expired_access_token_is_refreshed_before_the_turn(
    codex_cli: CodexCli,
    emu: Emulator,
    emu_url: str,
    ca_pem: str,
    codex_home: CodexHome,
    wall_clock: WallClockBehind,
) -> None:
    # Log in while the emulator's clock is more than a token lifetime behind, then bring
    # it to the present: the access token in auth.json has expired for both sides.
    wall_clock.behind = emu.settings.token_lifetime + 3600
    account, grant = signed_in(emu, emu_url, codex_home, "cy@example.test")
    emu.advance_clock(wall_clock.behind)
    assert jwt_claims(grant.access_token)["exp"] < time.time()

    run = codex_home.run_exec(codex_cli, ca_pem, PROMPT)

    assert_completed(run, account)
    counters = emu.counters(account.account_id)
    assert counters["refreshes"] == 1
    assert counters["refresh_reused"] == counters["refresh_failures"] == 0
    [refresh] = refresh_requests(emu)
    assert refresh.status == 200
    assert refresh.body["refresh_reason"] == "proactive_expiry"
    assert refresh.body["client_id"] == CLIENT_ID
    assert refresh.headers["originator"] == "codex_exec"
    assert refresh.headers.get("accept-encoding") == codex_cli.accept_encoding

    stored = run.auth.tokens
    assert stored.account_id == account.account_id
    assert stored.access_token != grant.access_token
    assert stored.refresh_token != grant.refresh_token
    assert stored.id_token != grant.id_token
    new_access = jwt_claims(stored.access_token)
    assert new_access["exp"] > time.time()
    # Refreshed first: no backend call ever carried the expired token.
    backend_calls = [r for r in emu.requests if r.token_id is not None]
    assert backend_calls
    assert {r.token_id for r in backend_calls} == {new_access["jti"]}
    assert all(refresh.id < r.id for r in backend_calls)
    assert refusals(emu) <= EXPECTED_REFUSALS


def test_token_the_backend_rejects_is_refreshed_after_the_401(
    codex_cli: CodexCli, emu: Emulator, emu_url: str, ca_pem: str, codex_home: CodexHome
) -> None:
    account, grant = signed_in(emu, emu_url, codex_home, "di@example.test")
    # Invalid on the server although its exp claim still lies in the future.
    emu.expire_access_tokens(account.account_id)

    run = codex_home.run_exec(codex_cli, ca_pem, PROMPT)

    assert_completed(run, account)
    rejected = [r for r in emu.requests if r.status == 401]
    assert rejected
    assert all(r.error_code == "expired" for r in rejected)
    [refresh] = refresh_requests(emu)
    assert refresh.status == 200
    assert refresh.body["refresh_reason"] == "unauthorized_recovery"
    assert emu.counters(account.account_id)["refreshes"] == 1
    assert all(refresh.id < r.id for r in model_posts(emu))
    [post] = model_posts(emu)
    assert post.status == 200
    assert post.token_id == jwt_claims(run.auth.tokens.access_token)["jti"]
    assert run.auth.tokens.access_token != grant.access_token


def test_server_error_is_retried_with_the_same_request(
    codex_cli: CodexCli, emu: Emulator, emu_url: str, ca_pem: str, codex_home: CodexHome
) -> None:
    account, _ = signed_in(emu, emu_url, codex_home, "ed@example.test")
    emu.script_faults(account.account_id, [StatusFault(status=500)])

    run = codex_home.run_exec(codex_cli, ca_pem, PROMPT)

    assert_completed(run, account)
    failed, answered = model_posts(emu)
    assert (failed.status, answered.status) == (500, 200)
    assert failed.fault == "status"
    assert answered.body == failed.body
    assert answered.session_id == failed.session_id == banner_session_id(run)
    counters = emu.counters(account.account_id)
    assert counters["responses_failed"] == counters["responses_completed"] == 1


def test_spark_model_on_a_pro_account_completes_and_draws_on_sparks_own_windows(
    codex_cli: CodexCli, emu: Emulator, emu_url: str, ca_pem: str, codex_home: CodexHome
) -> None:
    account, _ = signed_in(emu, emu_url, codex_home, "fay@example.test", plan="pro")
    before = emu.account(account.account_id)

    run = codex_home.run_exec(codex_cli, ca_pem, PROMPT, model=SPARK_MODEL)

    assert_completed(run, account)
    # The Pro plan's model list offers Spark, so the CLI has its metadata.
    assert f"Model metadata for `{SPARK_MODEL}` not found" not in run.stderr
    [post] = model_posts(emu)
    assert post.status == 200
    assert post.body["model"] == SPARK_MODEL
    assert post.account_id == account.account_id
    after = emu.account(account.account_id)
    assert after.account.plan == "pro"
    # Charged to Spark's 5 h and weekly windows; the account's weekly window is untouched.
    assert window_use(after.windows) == window_use(before.windows)
    spark_before, spark_after = window_use(before.spark_windows), window_use(after.spark_windows)
    assert spark_after.keys() == spark_before.keys() == {"five_hour", "weekly"}
    assert all(spark_after[kind] > spark_before[kind] for kind in spark_after)


def test_spark_model_on_a_plus_account_is_refused_once_as_not_supported(
    codex_cli: CodexCli, emu: Emulator, emu_url: str, ca_pem: str, codex_home: CodexHome
) -> None:
    account, _ = signed_in(emu, emu_url, codex_home, "gus@example.test", plan="plus")

    run = codex_home.run_exec(codex_cli, ca_pem, PROMPT, model=SPARK_MODEL)

    assert run.returncode == 1, run.stderr
    assert answer_of(account) not in run.stdout
    # Plus's model list has no Spark: the CLI guesses its metadata and sends it anyway.
    assert f"Model metadata for `{SPARK_MODEL}` not found" in run.stderr
    [post] = model_posts(emu)
    assert post.status == 400
    assert post.body["model"] == SPARK_MODEL
    assert f"The '{SPARK_MODEL}' model is not supported" in run.stderr
    assert emu.counters(account.account_id)["responses_completed"] == 0


def test_plugin_start_up_calls_answered_404_leave_the_turn_intact(
    codex_cli: CodexCli, emu: Emulator, emu_url: str, ca_pem: str, tmp_path: Path
) -> None:
    home = CodexHome(tmp_path, emu_url, apps_and_plugins=True)
    account, _ = signed_in(emu, emu_url, home, "hal@example.test")

    run = home.run_exec(codex_cli, ca_pem, PROMPT)

    assert_completed(run, account)
    tooling_state = emu.requests_to(TOOLING_STATE_PATH)
    assert bool(tooling_state) == codex_cli.asks_plugin_tooling_state
    assert all(r.method == "GET" and r.status == 404 for r in tooling_state)
    assert all(r.headers.get("oai-product-sku") for r in tooling_state)
    # Besides the usual two, only the plugin service's calls are refused, each with a 404.
    unexpected = refusals(emu) - EXPECTED_REFUSALS
    assert all(
        path.startswith(PLUGIN_SERVICE_PREFIX) and status == 404 for path, status in unexpected
    )
    [post] = model_posts(emu)
    assert post.status == 200
    assert_accept_encoding(emu, codex_cli)
