"""The model catalog of Codex CLI 0.171 and the "requires a newer version" gate."""

from __future__ import annotations

from typing import Any

import httpx2
from emulator_helpers import RESPONSES_PATH, bearer, responses_body

from multicodex_emulator import Emulator

MODELS_PATH = "/backend-api/codex/models"
NEWER_VERSION = (
    "The 'gpt-6.2-astra' model requires a newer version of Codex. "
    "Please upgrade to the latest app or CLI and try again."
)


async def listed(
    client: httpx2.AsyncClient, tokens: dict[str, Any], version: str
) -> tuple[dict[str, dict[str, Any]], str]:
    answer = await client.get(
        MODELS_PATH, params={"client_version": version}, headers=bearer(tokens)
    )
    assert answer.status_code == 200
    return {m["slug"]: m for m in answer.json()["models"]}, answer.headers["etag"]


async def ask(
    client: httpx2.AsyncClient, tokens: dict[str, Any], model: str, version: str | None
) -> httpx2.Response:
    headers = bearer(tokens) | ({"version": version} if version else {})
    return await client.post(RESPONSES_PATH, headers=headers, json=responses_body(model=model))


async def test_the_0171_catalog_adds_gpt_6_2_sol_and_astra(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    models, _ = await listed(client, tokens, "0.171.0")
    sol, astra = models["gpt-6.2-sol"], models["gpt-6.2-astra"]
    assert (sol["context_window"], sol["max_context_window"]) == (500_000, 872_000)
    assert (astra["context_window"], astra["max_context_window"]) == (272_000, 872_000)
    for model in (sol, astra):
        assert model["minimal_client_version"] == "0.166.0"
        assert (model["prefer_websockets"], model["use_responses_lite"]) == (True, True)
    older, _ = await listed(client, tokens, "0.165.9")
    assert "gpt-6.2-sol" not in older and "gpt-6-sol" in older
    assert next(iter(models)) == "gpt-6-sol"  # still the first (default) model


async def test_a_model_above_the_version_header_is_refused_with_the_recorded_400(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    before, etag_before = await listed(client, tokens, "0.171.0")
    assert "gpt-6.2-astra" in before
    emu.set_minimal_client_version("gpt-6.2-astra", "0.172.0")
    after, etag_after = await listed(client, tokens, "0.171.0")
    assert "gpt-6.2-astra" not in after
    assert etag_after != etag_before

    refused = await ask(client, tokens, "gpt-6.2-astra", "0.171.0")
    assert (refused.status_code, refused.json()) == (400, {"detail": NEWER_VERSION})
    assert refused.headers["x-codex-active-limit"] == "codex"
    assert refused.headers["x-models-etag"] == etag_after
    assert (await ask(client, tokens, "gpt-6.2-astra", "0.172.0")).status_code == 200
    assert (await ask(client, tokens, "gpt-6.2-astra", None)).status_code == 200
    assert (await ask(client, tokens, "gpt-5.5", "0.171.0")).status_code == 200
    [gated] = [r for r in emu.requests_to(RESPONSES_PATH) if r.status == 400]
    assert gated.error_code == "invalid_request"


async def test_the_gate_is_set_over_the_control_api_too(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    path = "/_emu/models/gpt-6-sol/minimal-client-version"
    answer = await client.post(path, json={"minimal_client_version": "0.180.0"})
    assert answer.json() == {"slug": "gpt-6-sol", "minimal_client_version": "0.180.0"}
    refused = await ask(client, tokens, "gpt-6-sol", "0.171.0")
    assert refused.json()["detail"].startswith("The 'gpt-6-sol' model requires a newer version")
    bad = await client.post(path, json={"minimal_client_version": "soon"})
    assert bad.status_code == 400
    unknown = await client.post(
        "/_emu/models/gpt-0/minimal-client-version", json={"minimal_client_version": "1.0.0"}
    )
    assert (unknown.status_code, unknown.json()) == (400, {"error": "unknown model 'gpt-0'"})


async def test_spark_stays_pro_only(client: httpx2.AsyncClient, emu: Emulator) -> None:
    plus = emu.add_account(email="plus@example.test")
    pro = emu.add_account(email="pro@example.test", plan="pro")
    plus_tokens, pro_tokens = emu.issue_tokens(plus.account_id), emu.issue_tokens(pro.account_id)
    refused = await ask(client, plus_tokens, "gpt-5.3-codex-spark", "0.171.0")
    assert refused.status_code == 400
    assert refused.json() == {
        "detail": "The 'gpt-5.3-codex-spark' model is not supported when using Codex "
        "with a ChatGPT account."
    }
    assert (await ask(client, pro_tokens, "gpt-5.3-codex-spark", "0.171.0")).status_code == 200
    plus_models, plus_etag = await listed(client, plus_tokens, "0.171.0")
    pro_models, pro_etag = await listed(client, pro_tokens, "0.171.0")
    assert "gpt-5.3-codex-spark" in pro_models and "gpt-5.3-codex-spark" not in plus_models
    assert plus_etag != pro_etag
