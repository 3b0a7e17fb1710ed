"""Usage per quota bucket through the real server: a Spark answer's x-codex-* headers
describe Spark's own windows, so they update Spark's windows in the status and never the
account's; windows are named by their length (a Team account's long window is 30-day)."""

from __future__ import annotations

from typing import Any

from support.server_rig import ServerRig, ready

COMPLETE = "multicodex/complete"
STATUS = "multicodex/status"
SPARK = "gpt-5.3-codex-spark"


def account_in(status: dict[str, Any], key: str) -> dict[str, Any]:
    return next(a for a in status["accounts"] if a["key"] == key)


def spark_of(usage: dict[str, Any]) -> dict[str, Any]:
    [spark] = [b for b in usage["buckets"] if b["bucket"] == "codex_bengalfox"]
    return spark


async def test_a_spark_answer_updates_sparks_windows_and_never_the_accounts(
    server_rig: ServerRig,
) -> None:
    [pro] = await server_rig.seed("pat@example.test", plan="pro")
    server_rig.emu.set_usage(pro["account_id"], weekly_used=20, spark_five_hour_used=50)
    await server_rig.client.request("multicodex/accounts/refresh", {"key": pro["key"]})
    before = account_in(await server_rig.client.request("multicodex/status/get"), pro["key"])
    usage = before["usage"]
    assert usage["five_hour"] is None
    assert usage["weekly"]["used_percent"] == 20
    assert (usage["five_hour_label"], usage["weekly_label"]) == ("5h", "weekly")
    assert spark_of(usage)["five_hour"]["used_percent"] == 50
    assert spark_of(usage)["label"] == "Spark"

    # The backend moves on; only the Spark answer's headers can tell the server so.
    server_rig.emu.set_usage(pro["account_id"], weekly_used=35, spark_five_hour_used=70)
    result = await server_rig.client.request(
        COMPLETE, {"stream_id": "spark-1", "model": SPARK, "prompt": "hi"}
    )
    assert result["account"]["key"] == pro["key"]

    def spark_moved(status: dict[str, Any]) -> bool:
        [usage] = [a["usage"] for a in status["accounts"] if a["key"] == pro["key"]] or [None]
        return usage is not None and spark_of(usage)["five_hour"]["used_percent"] >= 70

    after = account_in(await server_rig.client.notification(STATUS, spark_moved), pro["key"])
    usage = after["usage"]
    assert usage["five_hour"] is None
    assert usage["weekly"] == before["usage"]["weekly"]
    assert usage["weekly_label"] == "weekly"
    assert usage["limit_reached"] is False
    assert usage["fetched_at"] == before["usage"]["fetched_at"]
    assert spark_of(usage)["usage_line"].startswith("Spark 5h ")
    assert after["usage_line"].startswith("5h unknown · weekly 80% left")


async def test_a_team_accounts_long_window_is_named_30_day(server_rig: ServerRig) -> None:
    [team] = await server_rig.seed("tess@example.test", plan="team", layout="monthly")
    server_rig.emu.set_usage(team["account_id"], weekly_used=41)
    await server_rig.client.request("multicodex/accounts/refresh", {"key": team["key"]})

    status = await server_rig.client.request("multicodex/status/get")
    info = account_in(status, team["key"])
    assert info["usage"]["weekly_label"] == "30-day"
    assert info["usage"]["weekly"]["window_seconds"] >= 28 * 86400
    assert "30-day 59% left" in info["usage_line"]
    assert "weekly" not in info["status_line"]
    assert "30-day 59% left" in status["footer"]["text"]


async def test_a_plus_account_has_no_buckets_and_says_weekly(server_rig: ServerRig) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    status = await server_rig.client.request("multicodex/status/get")
    usage = account_in(status, alice["key"])["usage"]
    assert usage["buckets"] == []
    assert (usage["five_hour_label"], usage["weekly_label"]) == ("5h", "weekly")
