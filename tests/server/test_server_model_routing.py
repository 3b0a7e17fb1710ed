"""Model-aware routing through `multicodex serve` against the emulator: a model goes only
to accounts that can serve it (the plan's model list, gates, the model's own limit)."""

from __future__ import annotations

from typing import Any

from support.rpc_client import RpcError
from support.server_rig import ServerRig, ready

COMPLETE = "multicodex/complete"
MODELS = "multicodex/models/list"
RESPONSES = "/backend-api/codex/responses"
SPARK = "gpt-5.3-codex-spark"
MODEL_UNAVAILABLE = -32013
POOL_EXHAUSTED = -32010


async def seed_plus_and_pro(rig: ServerRig) -> tuple[dict[str, Any], dict[str, Any]]:
    [alice] = await ready(rig, "alice@example.test")
    [bob] = await rig.seed("bob@example.test", plan="pro")
    return alice, bob


async def complete(rig: ServerRig, stream_id: str, model: str, **extra: Any) -> dict[str, Any]:
    params = {"stream_id": stream_id, "model": model, "prompt": "hi", **extra}
    result: dict[str, Any] = await rig.client.request(COMPLETE, params)
    return result


async def complete_error(rig: ServerRig, stream_id: str, model: str) -> RpcError:
    try:
        await complete(rig, stream_id, model)
    except RpcError as error:
        return error
    raise AssertionError(f"{model} was served")


def responses(rig: ServerRig, account: dict[str, Any]) -> list[Any]:
    return rig.emu.requests_to(RESPONSES, rig.emu_account(account))


async def test_models_list_says_which_accounts_serve_each_model(server_rig: ServerRig) -> None:
    alice, bob = await seed_plus_and_pro(server_rig)

    listing = await server_rig.client.request(MODELS, {"refresh": True})

    by_slug = {m["slug"]: m for m in listing["models"]}
    spark = by_slug[SPARK]
    assert [a["key"] for a in spark["accounts"]] == [bob["key"]]
    [blocked] = spark["unavailable"]
    assert blocked["account"]["key"] == alice["key"]
    assert blocked["reason"] == "GPT-5.3 Codex Spark is not in the plus plan"
    assert {a["key"] for a in by_slug["gpt-5.5"]["accounts"]} == {alice["key"], bob["key"]}


async def test_a_model_only_pro_has_goes_to_the_pro_account(server_rig: ServerRig) -> None:
    alice, bob = await seed_plus_and_pro(server_rig)

    for number in range(3):
        result = await complete(server_rig, f"spark-{number}", SPARK)
        assert result["account"]["key"] == bob["key"]

    assert responses(server_rig, alice) == []
    assert len(responses(server_rig, bob)) == 3


async def test_a_pin_on_an_account_without_the_model_is_passed_over_and_kept(
    server_rig: ServerRig,
) -> None:
    alice, bob = await seed_plus_and_pro(server_rig)
    await server_rig.client.request("multicodex/accounts/use", {"key": alice["key"]})

    spark = await complete(server_rig, "spark", SPARK)
    general = await complete(server_rig, "general", "gpt-5.5")

    assert spark["account"]["key"] == bob["key"]
    assert any("pin on alice@example.test passed over" in r for r in spark["selection_reasons"])
    assert general["account"]["key"] == alice["key"]
    assert responses(server_rig, alice)[0].body["model"] == "gpt-5.5"


async def test_a_spark_429_leaves_the_account_serving_other_models(server_rig: ServerRig) -> None:
    alice, bob = await seed_plus_and_pro(server_rig)
    server_rig.emu.set_usage(server_rig.emu_account(bob), spark_five_hour_used=100.0)

    error = await complete_error(server_rig, "spark", SPARK)
    general = await complete(server_rig, "general", "gpt-5.5", account_key=bob["key"])

    assert error.code == POOL_EXHAUSTED
    states = {a["account"]["key"]: a for a in error.data["accounts"]}
    assert states[bob["key"]]["state"] == "cooldown"
    assert states[bob["key"]]["detail"].startswith("Spark limit until")
    assert states[alice["key"]]["state"] == "model_unavailable"
    assert general["account"]["key"] == bob["key"]
    assert general["text"]
    listing = await server_rig.client.request("multicodex/accounts/list", {})
    stored = next(a for a in listing["accounts"] if a["key"] == bob["key"])
    assert stored["state"] != "cooldown"
    assert [r.body["model"] for r in responses(server_rig, bob)] == [SPARK, "gpt-5.5"]


async def test_a_version_gate_is_one_attempt_per_account_then_a_clear_error(
    server_rig: ServerRig,
) -> None:
    alice, bob = await seed_plus_and_pro(server_rig)
    await server_rig.client.request(MODELS, {"refresh": True})  # lists cached with gpt-5.5
    server_rig.emu.set_minimal_client_version("gpt-5.5", "0.200.0")

    first = await complete_error(server_rig, "first", "gpt-5.5")
    second = await complete_error(server_rig, "second", "gpt-5.5")

    assert first.code == MODEL_UNAVAILABLE
    assert "gpt-5.5" in first.message
    assert "needs a newer Codex" in first.message or "requires a newer version" in first.message
    assert "models the pool can serve: " in first.message
    assert {a["state"] for a in first.data["accounts"]} == {"model_unavailable"}
    assert len(responses(server_rig, alice)) == 1
    assert len(responses(server_rig, bob)) == 1
    assert second.code == MODEL_UNAVAILABLE  # the gates hold: nothing is sent again
    assert len(server_rig.emu.requests_to(RESPONSES)) == 2
    served = await complete(server_rig, "other", "gpt-5.4")
    assert served["text"]


async def test_an_unknown_model_fails_at_once_naming_the_servable_models(
    server_rig: ServerRig,
) -> None:
    await seed_plus_and_pro(server_rig)

    error = await complete_error(server_rig, "nope", "gpt-0-nonexistent")

    assert error.code == MODEL_UNAVAILABLE
    assert error.data["model"] == "gpt-0-nonexistent"
    assert "gpt-5.5" in error.data["servable_models"]
    assert SPARK in error.data["servable_models"]
    assert "gpt-5.5" in error.message
    assert server_rig.emu.requests_to(RESPONSES) == []


async def test_the_account_view_shows_its_blocks_as_selection_words_them_until_reset(
    server_rig: ServerRig,
) -> None:
    alice, bob = await seed_plus_and_pro(server_rig)
    server_rig.emu.set_usage(server_rig.emu_account(bob), spark_five_hour_used=100.0)
    spark = await complete_error(server_rig, "spark", SPARK)
    server_rig.emu.set_minimal_client_version("gpt-5.5", "0.200.0")
    await complete_error(server_rig, "gated", "gpt-5.5")

    listing = await server_rig.client.request("multicodex/accounts/list", {})
    by_key = {a["key"]: a for a in listing["accounts"]}
    skipped = {a["account"]["key"]: a["detail"] for a in spark.data["accounts"]}
    bob_blocks = {b["model"] or b["bucket"]: b for b in by_key[bob["key"]]["model_blocks"]}
    assert bob_blocks["codex_bengalfox"]["reason"] == skipped[bob["key"]]
    assert bob_blocks["codex_bengalfox"]["until"] is not None
    assert (
        bob_blocks["gpt-5.5"]["reason"] == "gpt-5.5 needs a newer Codex (MultiCodex sends 0.171.0)"
    )
    assert bob_blocks["gpt-5.5"]["until"] is None
    assert [b["model"] for b in by_key[alice["key"]]["model_blocks"]] == ["gpt-5.5"]

    await server_rig.client.request("multicodex/accounts/reset", {"target": "quota"})

    listing = await server_rig.client.request("multicodex/accounts/list", {})
    assert all(a["model_blocks"] == [] for a in listing["accounts"])
