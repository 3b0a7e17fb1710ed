"""Pro's weekly-only quota beside Spark's own windows, the Spark header trap, >100 %."""

from __future__ import annotations

from typing import Any

import httpx2
from emulator_helpers import RESPONSES_PATH, USAGE_PATH, bearer, responses_body

from multicodex_emulator import EmuAccount, Emulator

SPARK = "gpt-5.3-codex-spark"


async def ask(client: httpx2.AsyncClient, tokens: dict[str, Any], model: str) -> httpx2.Response:
    headers = {**bearer(tokens), "version": "0.171.0"}
    return await client.post(RESPONSES_PATH, headers=headers, json=responses_body(model=model))


def slot(headers: httpx2.Headers, name: str) -> tuple[str, str]:
    return headers[f"x-codex-{name}-used-percent"], headers[f"x-codex-{name}-window-minutes"]


async def test_pro_usage_is_weekly_only_with_spark_in_additional_limits(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    pro = emu.add_account(email="pro@example.test", plan="pro", weekly_used=20)
    emu.set_usage(pro.account_id, spark_five_hour_used=30, spark_weekly_used=10)
    tokens = emu.issue_tokens(pro.account_id)
    usage = (await client.get(USAGE_PATH, headers=bearer(tokens))).json()
    general = usage["rate_limit"]
    assert general["primary_window"]["limit_window_seconds"] == 604800
    assert general["primary_window"]["used_percent"] == 20
    assert general["secondary_window"] is None
    [spark] = usage["additional_rate_limits"]
    assert (spark["limit_name"], spark["metered_feature"]) == (
        "GPT-5.3-Codex-Spark",
        "codex_bengalfox",
    )
    limits = spark["rate_limit"]
    assert (limits["allowed"], limits["limit_reached"]) == (True, False)
    assert limits["primary_window"]["limit_window_seconds"] == 18000
    assert limits["primary_window"]["used_percent"] == 30
    assert limits["secondary_window"]["limit_window_seconds"] == 604800
    assert limits["secondary_window"]["used_percent"] == 10
    plus = emu.add_account(email="plus@example.test")
    assert emu.usage(plus.account_id)["additional_rate_limits"] is None


async def test_spark_answers_describe_the_spark_windows_not_the_account(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    pro = emu.add_account(email="pro@example.test", plan="pro", weekly_used=50)
    emu.set_usage(pro.account_id, spark_five_hour_used=30, spark_weekly_used=10)
    tokens = emu.issue_tokens(pro.account_id)

    spark = await ask(client, tokens, SPARK)
    assert spark.status_code == 200
    assert spark.headers["x-codex-active-limit"] == "codex_bengalfox"
    assert slot(spark.headers, "primary") == ("30", "300")
    assert slot(spark.headers, "secondary") == ("10", "10080")
    assert spark.headers["x-codex-plan-type"] == "pro"

    general = await ask(client, tokens, "gpt-5.5")
    assert general.headers["x-codex-active-limit"] == "codex"
    assert slot(general.headers, "primary") == ("50", "10080")
    assert slot(general.headers, "secondary") == ("0", "0")

    view = emu.account(pro.account_id)
    assert [w.used_percent for w in view.spark_windows] == [31, 11]
    assert [w.used_percent for w in view.windows] == [51]


async def test_exhausted_spark_refuses_spark_only(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    pro = emu.add_account(email="pro@example.test", plan="pro")
    emu.set_usage(pro.account_id, spark_five_hour_used=100)
    spark_reset = emu.account(pro.account_id).spark_windows[0].reset_at
    tokens = emu.issue_tokens(pro.account_id)

    refused = await ask(client, tokens, SPARK)
    assert refused.status_code == 429
    error = refused.json()["error"]
    assert (error["type"], error["plan_type"]) == ("usage_limit_reached", "pro")
    assert error["resets_at"] == int(spark_reset)
    assert refused.headers["x-codex-active-limit"] == "codex_bengalfox"
    assert slot(refused.headers, "primary") == ("100", "300")

    assert (await ask(client, tokens, "gpt-5.5")).status_code == 200
    usage = emu.usage(pro.account_id)
    assert usage["rate_limit"]["limit_reached"] is False
    assert usage["additional_rate_limits"][0]["rate_limit"]["limit_reached"] is True
    assert emu.counters(pro.account_id)["responses_429"] == 1


async def test_spark_still_serves_when_the_general_quota_is_exhausted(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    pro = emu.add_account(email="pro@example.test", plan="pro", weekly_used=100)
    tokens = emu.issue_tokens(pro.account_id)
    assert (await ask(client, tokens, "gpt-5.5")).status_code == 429
    spark = await ask(client, tokens, SPARK)
    assert spark.status_code == 200
    assert slot(spark.headers, "primary") == ("0", "300")


async def test_spark_usage_is_set_over_the_control_api(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    pro = emu.add_account(email="pro@example.test", plan="pro")
    answer = await client.post(
        f"/_emu/accounts/{pro.account_id}/usage",
        json={"spark_weekly_used": 100, "spark_weekly_resets_at": emu.now() + 60},
    )
    spark_windows = answer.json()["spark_windows"]
    assert [(w["kind"], w["used_percent"]) for w in spark_windows] == [
        ("five_hour", 0),
        ("weekly", 100),
    ]
    emu.advance_clock(61)
    assert emu.account(pro.account_id).spark_windows[1].used_percent == 0


async def test_used_percent_above_100_is_served_unclamped(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    answer = await client.post(
        f"/_emu/accounts/{account.account_id}/usage", json={"weekly_used": 112}
    )
    assert answer.json()["windows"][1]["used_percent"] == 112
    usage = (await client.get(USAGE_PATH, headers=bearer(tokens))).json()
    assert usage["rate_limit"]["secondary_window"]["used_percent"] == 112
    assert usage["rate_limit"]["limit_reached"] is True
    refused = await ask(client, tokens, "gpt-5.5")
    assert refused.status_code == 429
    assert refused.headers["x-codex-secondary-used-percent"] == "112"


async def test_team_gets_the_30_day_window(client: httpx2.AsyncClient, emu: Emulator) -> None:
    team = emu.add_account(email="team@example.test", plan="team", layout="monthly")
    tokens = emu.issue_tokens(team.account_id)
    answer = await ask(client, tokens, "gpt-5.5")
    assert answer.headers["x-codex-plan-type"] == "team"
    assert slot(answer.headers, "primary") == ("0", "43200")
    window = emu.usage(team.account_id)["rate_limit"]["primary_window"]
    assert window["limit_window_seconds"] == 2_592_000
