"""Paid credits past the included quota, and banked rate-limit reset credits."""

from __future__ import annotations

import uuid
from typing import Any

import httpx2
import pytest
from emulator_helpers import RESPONSES_PATH, USAGE_PATH, bearer, responses_body

from multicodex_emulator import EmuAccount, Emulator

RESET_CREDITS_PATH = "/backend-api/wham/rate-limit-reset-credits"
CONSUME_PATH = f"{RESET_CREDITS_PATH}/consume"


async def ask(client: httpx2.AsyncClient, tokens: dict[str, Any]) -> httpx2.Response:
    return await client.post(RESPONSES_PATH, headers=bearer(tokens), json=responses_body())


async def consume(
    client: httpx2.AsyncClient, tokens: dict[str, Any], redeem_request_id: str
) -> dict[str, Any]:
    answer = await client.post(
        CONSUME_PATH, headers=bearer(tokens), json={"redeem_request_id": redeem_request_id}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_credits_serve_past_the_included_quota_until_the_balance_is_spent(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.set_usage(account.account_id, weekly_used=100)
    emu.set_credits(account.account_id, balance=2.5, cost_per_response=1)
    usage = (await client.get(USAGE_PATH, headers=bearer(tokens))).json()
    assert usage["rate_limit"]["limit_reached"] is True
    assert (usage["credits"]["has_credits"], usage["credits"]["balance"]) == (True, "2.5")

    balances = []
    for _ in range(3):
        paid = await ask(client, tokens)
        assert paid.status_code == 200
        assert paid.headers["x-codex-credits-has-credits"] == "True"
        balances.append(paid.headers["x-codex-credits-balance"])
    assert balances == ["2.5", "1.5", "0.5"]

    refused = await ask(client, tokens)
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "usage_limit_reached"
    assert refused.headers["x-codex-credits-has-credits"] == "False"
    assert refused.headers["x-codex-credits-balance"] == "0"
    view = emu.account(account.account_id)
    assert [w.used_percent for w in view.windows] == [0, 100]  # paid answers left them alone
    assert (view.credits.has_credits, view.credits.balance) == (False, 0)


async def test_credits_are_untouched_while_included_quota_remains(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    answer = await client.post(
        f"/_emu/accounts/{account.account_id}/credits",
        json={"balance": 10, "cost_per_response": 4},
    )
    assert answer.json()["credits"] == {
        "has_credits": True,
        "balance": 10,
        "cost_per_response": 4,
        "reset_credits": 0,
    }
    served = await ask(client, tokens)
    assert served.headers["x-codex-credits-balance"] == "10"
    view = emu.account(account.account_id)
    assert view.credits.balance == 10
    assert [w.used_percent for w in view.windows] == [1, 1]


async def test_reset_credits_are_listed_in_usage_and_their_own_route(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    empty = await client.get(RESET_CREDITS_PATH, headers=bearer(tokens))
    assert empty.json() == {"available_count": 0, "applicable_available_count": 0}
    emu.set_credits(account.account_id, reset_credits=2)
    listed = await client.get(RESET_CREDITS_PATH, headers=bearer(tokens))
    assert listed.json() == {"available_count": 2, "applicable_available_count": 2}
    usage = emu.usage(account.account_id)
    assert usage["rate_limit_reset_credits"] == listed.json()
    assert (await client.get(RESET_CREDITS_PATH)).status_code == 401
    [record, _, _] = emu.requests_to(RESET_CREDITS_PATH)
    assert record.account_id == account.account_id


async def test_consuming_a_reset_credit(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    account_id = account.account_id
    emu.set_credits(account_id, reset_credits=1)
    nothing = await consume(client, tokens, str(uuid.uuid4()))
    assert (nothing["code"], nothing["available_count"]) == ("nothing_to_reset", 1)

    emu.set_usage(account_id, five_hour_used=40, weekly_used=100)
    assert (await ask(client, tokens)).status_code == 429
    redeem_id = str(uuid.uuid4())
    reset = await consume(client, tokens, redeem_id)
    assert reset == {
        "code": "reset",
        "redeem_request_id": redeem_id,
        "available_count": 0,
        "applicable_available_count": 0,
    }
    five_hour, weekly = emu.account(account_id).windows
    assert five_hour.used_percent == 40  # not exhausted: left as it was
    assert weekly.used_percent == 0
    assert weekly.reset_at == pytest.approx(emu.now() + 604800, abs=5)
    assert (await ask(client, tokens)).status_code == 200

    emu.set_usage(account_id, weekly_used=100)
    emu.set_credits(account_id, reset_credits=1)
    again = await consume(client, tokens, redeem_id)
    assert (again["code"], again["available_count"]) == ("already_redeemed", 1)
    emu.set_credits(account_id, reset_credits=0)
    none_left = await consume(client, tokens, str(uuid.uuid4()))
    assert none_left["code"] == "no_credit"
    assert emu.usage(account_id)["rate_limit"]["limit_reached"] is True

    calls = emu.requests_to(CONSUME_PATH)
    assert [r.status for r in calls] == [200] * 4
    assert calls[1].body == {"redeem_request_id": redeem_id}
    assert {r.account_id for r in calls} == {account_id}


async def test_consume_needs_a_redeem_request_id(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    missing = await client.post(CONSUME_PATH, headers=bearer(tokens), json={})
    assert missing.status_code == 400
    assert "redeem_request_id" in missing.json()["detail"]
    unauthenticated = await client.post(CONSUME_PATH, json={"redeem_request_id": "x"})
    assert unauthenticated.status_code == 401
