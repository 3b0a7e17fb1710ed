"""wham/usage for every plan layout, clock travel, models, accounts/check, 404s."""

from __future__ import annotations

from typing import Any

import httpx2
import pytest
from emulator_helpers import RESPONSES_PATH, USAGE_PATH, bearer, responses_body

from multicodex_emulator import EmuAccount, Emulator
from multicodex_emulator.windows import Layout

WINDOW_FIELDS = {"used_percent", "limit_window_seconds", "reset_after_seconds", "reset_at"}


async def fetch_usage(client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount) -> Any:
    answer = await client.get(USAGE_PATH, headers=bearer(emu.issue_tokens(account.account_id)))
    assert answer.status_code == 200
    return answer.json()


def assert_integer_window(window: dict[str, Any], seconds: int) -> None:
    assert set(window) == WINDOW_FIELDS
    assert all(type(window[field]) is int for field in WINDOW_FIELDS)
    assert window["limit_window_seconds"] == seconds


async def test_plus_layout(client: httpx2.AsyncClient, emu: Emulator) -> None:
    account = emu.add_account(email="plus@example.test", five_hour_used=12.5, weekly_used=3)
    usage = await fetch_usage(client, emu, account)
    assert usage["account_id"] == account.account_id
    assert usage["email"] == "plus@example.test"
    assert usage["user_id"] == account.user_id
    assert usage["plan_type"] == "plus"
    limits = usage["rate_limit"]
    assert (limits["allowed"], limits["limit_reached"]) == (True, False)
    assert_integer_window(limits["primary_window"], 18000)
    assert_integer_window(limits["secondary_window"], 604800)
    assert limits["primary_window"]["used_percent"] == 12
    assert limits["secondary_window"]["used_percent"] == 3
    assert usage["credits"]["has_credits"] is False
    assert usage["credits"]["unlimited"] is False
    assert usage["credits"]["balance"] == "0"
    assert usage["rate_limit_reached_type"] is None
    assert usage["rate_limit_reset_credits"]["available_count"] == 0


async def test_headers_and_usage_agree(client: httpx2.AsyncClient, emu: Emulator) -> None:
    account = emu.add_account(email="agree@example.test", five_hour_used=12.5)
    tokens = emu.issue_tokens(account.account_id)
    streamed = await client.post(RESPONSES_PATH, headers=bearer(tokens), json=responses_body())
    assert streamed.headers["x-codex-primary-used-percent"] == "12.5"
    usage = (await client.get(USAGE_PATH, headers=bearer(tokens))).json()
    primary = usage["rate_limit"]["primary_window"]
    assert streamed.headers["x-codex-primary-reset-at"] == str(primary["reset_at"])
    assert primary["used_percent"] == 13  # 12.5 + the 1 % the answer consumed


@pytest.mark.parametrize(
    ("plan", "layout", "seconds"),
    [("pro", "weekly", 604800), ("free", "free", 604800), ("team", "monthly", 2592000)],
)
async def test_single_window_layouts(
    client: httpx2.AsyncClient, emu: Emulator, plan: str, layout: Layout, seconds: int
) -> None:
    email = f"{plan}@example.test"
    account = emu.add_account(email=email, plan=plan, layout=layout, weekly_used=40)
    usage = await fetch_usage(client, emu, account)
    assert usage["plan_type"] == plan
    assert_integer_window(usage["rate_limit"]["primary_window"], seconds)
    assert usage["rate_limit"]["primary_window"]["used_percent"] == 40
    assert usage["rate_limit"]["secondary_window"] is None
    tokens = emu.issue_tokens(account.account_id)
    streamed = await client.post(RESPONSES_PATH, headers=bearer(tokens), json=responses_body())
    headers = streamed.headers
    assert headers["x-codex-primary-window-minutes"] == str(seconds // 60)
    assert headers["x-codex-secondary-window-minutes"] == "0"
    assert headers["x-codex-secondary-used-percent"] == "0"
    assert headers["x-codex-secondary-reset-at"] == ""
    assert headers["x-codex-credits-has-credits"] == "False"


async def test_free_layout_quirks(client: httpx2.AsyncClient, emu: Emulator) -> None:
    account = emu.add_account(email="free@example.test", plan="free")
    assert account.layout == "free"
    tokens = emu.issue_tokens(account.account_id)
    streamed = await client.post(RESPONSES_PATH, headers=bearer(tokens), json=responses_body())
    assert streamed.headers["x-codex-credits-balance"] == ""
    assert streamed.headers["x-codex-credits-unlimited"] == "False"
    assert streamed.headers["x-codex-promo-message"]


async def test_exhausted_usage_and_the_codex_usage_alias(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    account = emu.add_account(email="full@example.test", weekly_used=100)
    tokens = emu.issue_tokens(account.account_id)
    usage = (await client.get(USAGE_PATH, headers=bearer(tokens))).json()
    assert (usage["rate_limit"]["allowed"], usage["rate_limit"]["limit_reached"]) == (False, True)
    assert usage["rate_limit_reached_type"] == {"type": "rate_limit_reached"}
    alias = (await client.get("/backend-api/codex/usage", headers=bearer(tokens))).json()
    assert alias["rate_limit"] == usage["rate_limit"]


async def test_usage_requires_a_valid_token(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.expire_access_tokens(account.account_id)
    answer = await client.get(USAGE_PATH, headers=bearer(tokens))
    assert (answer.status_code, answer.json()) == (401, {"detail": "Unauthorized"})


def test_advancing_the_clock_resets_passed_windows(emu: Emulator) -> None:
    account = emu.add_account(email="clock@example.test", five_hour_used=80, weekly_used=50)
    start = emu.now()
    emu.advance_clock(5 * 3600 + 1)
    windows = emu.account(account.account_id).windows
    five_hour, weekly = windows
    assert (five_hour.used_percent, weekly.used_percent) == (0, 50)
    assert five_hour.reset_at == pytest.approx(emu.now() + 18000, abs=5)
    assert weekly.reset_at == pytest.approx(start + 604800, abs=5)
    emu.advance_clock(7 * 24 * 3600)
    assert emu.account(account.account_id).windows[1].used_percent == 0


def test_set_usage_with_explicit_reset_times(emu: Emulator) -> None:
    account = emu.add_account(email="reset@example.test")
    now = emu.now()
    emu.set_usage(account.account_id, weekly_used=100, weekly_resets_at=now + 60)
    assert emu.usage(account.account_id)["rate_limit"]["limit_reached"] is True
    emu.advance_clock(61)
    usage = emu.usage(account.account_id)["rate_limit"]
    assert usage["limit_reached"] is False
    assert usage["secondary_window"]["used_percent"] == 0


def test_injected_clock_drives_the_windows() -> None:
    now = [1_800_000_000.0]
    emu = Emulator(clock=lambda: now[0])
    account = emu.add_account(email="fake@example.test", five_hour_used=30)
    assert emu.account(account.account_id).windows[0].reset_at == 1_800_000_000 + 18000
    now[0] += 18000
    assert emu.account(account.account_id).windows[0].used_percent == 0


def test_five_hour_usage_needs_a_five_hour_window(emu: Emulator) -> None:
    account = emu.add_account(email="weekly@example.test", layout="weekly")
    with pytest.raises(ValueError, match="five-hour"):
        emu.set_usage(account.account_id, five_hour_used=10)
    with pytest.raises(ValueError, match="five-hour"):
        emu.add_account(email="bad@example.test", layout="monthly", five_hour_used=5)


async def test_models_are_filtered_by_client_version_and_cached_by_etag(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    path = "/backend-api/codex/models"
    answer = await client.get(path, params={"client_version": "0.169.0"}, headers=bearer(tokens))
    assert answer.status_code == 200
    slugs = [m["slug"] for m in answer.json()["models"]]
    assert "gpt-5.5" in slugs and "gpt-6-sol" in slugs
    assert "gpt-5.3-codex-spark" not in slugs  # pro only
    model = answer.json()["models"][0]
    for field in ("display_name", "visibility", "supported_in_api", "minimal_client_version",
                  "context_window", "default_reasoning_level", "supported_reasoning_levels",
                  "priority"):  # fmt: skip
        assert field in model
    etag = answer.headers["etag"]
    cached = await client.get(
        path,
        params={"client_version": "0.169.0"},
        headers={**bearer(tokens), "if-none-match": etag},
    )
    assert cached.status_code == 304
    old = await client.get(path, params={"client_version": "0.100.0"}, headers=bearer(tokens))
    old_slugs = [m["slug"] for m in old.json()["models"]]
    assert "gpt-5.4" in old_slugs and "gpt-5.5" not in old_slugs
    assert old.headers["etag"] != etag
    assert (await client.get(path)).status_code == 401


async def test_models_carry_what_the_codex_cli_decoder_requires(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    path = "/backend-api/codex/models"
    answer = await client.get(path, params={"client_version": "0.169.0"}, headers=bearer(tokens))
    for model in answer.json()["models"]:
        assert model["shell_type"] == "shell_command"
        assert set(model["truncation_policy"]) == {"mode", "limit"}
        assert model["experimental_supported_tools"] == []
        assert isinstance(model["supports_parallel_tool_calls"], bool)
    # Responses name the same list, so the CLI does not fetch the models again.
    streamed = await client.post(
        RESPONSES_PATH, headers={**bearer(tokens), "version": "0.169.0"}, json=responses_body()
    )
    assert streamed.headers["x-models-etag"] == answer.headers["etag"]


async def test_accounts_check_lists_the_token_account(
    client: httpx2.AsyncClient,
    base_url: str,
    emu: Emulator,
    account: EmuAccount,
    tokens: dict[str, Any],
) -> None:
    path = "/backend-api/wham/accounts/check"
    answer = await client.get(path, headers=bearer(tokens))
    assert answer.status_code == 200
    body = answer.json()
    assert body["default_account_id"] == account.account_id
    assert body["account_ordering"] == [account.account_id]
    assert body["accounts"] == [
        {
            "id": account.account_id,
            "account_id": account.account_id,
            "plan_type": "plus",
            "structure": "personal",
            "workspace_backend_origin": "NO_CONSTRAINT",
            "account_routing_override": "NO_CONSTRAINT",
        }
    ]
    emu.update_settings(workspace_origin="host")
    hosted = (await client.get(path, headers=bearer(tokens))).json()
    host = base_url.removeprefix("http://")
    assert hosted["accounts"][0]["workspace_backend_origin"] == f"https://{host}"
    assert (await client.get(path)).status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/backend-api/ps/plugins/installed",
        "/backend-api/wham/settings/user",
        "/backend-api/wham/profiles/me",
        "/backend-api/ps/plugins/tooling-state/turtle",
        "/backend-api/codex/analytics-events/events",
    ],
)
async def test_everything_else_is_404(client: httpx2.AsyncClient, path: str) -> None:
    answer = await client.get(path)
    assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"})
