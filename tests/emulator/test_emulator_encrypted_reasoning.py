"""Encrypted reasoning is bound to the account that produced it: replayed on the same
account it is accepted, on another it is refused as the real backend refuses it."""

from __future__ import annotations

from typing import Any

import httpx2
from emulator_helpers import RESPONSES_PATH, bearer, parse_sse, responses_body

from multicodex_emulator import EmuAccount, Emulator

REASONING = {"effort": "medium", "summary": "auto"}
INCLUDE = ["reasoning.encrypted_content"]


async def post(
    client: httpx2.AsyncClient, tokens: dict[str, Any], **overrides: Any
) -> httpx2.Response:
    return await client.post(
        RESPONSES_PATH, headers=bearer(tokens), json=responses_body(**overrides)
    )


async def first_turn(client: httpx2.AsyncClient, tokens: dict[str, Any]) -> list[dict[str, Any]]:
    """The first turn's input followed by its output items, as a client replays them."""
    body = responses_body(reasoning=REASONING, include=INCLUDE)
    response = await client.post(RESPONSES_PATH, headers=bearer(tokens), json=body)
    done = [d["item"] for n, d in parse_sse(response.text) if n == "response.output_item.done"]
    history: list[dict[str, Any]] = [*body["input"], *done]
    return history


def follow_up(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    question = {"type": "input_text", "text": "and then?"}
    return [*history, {"type": "message", "role": "user", "content": [question]}]


async def test_replay_on_the_same_account_is_accepted(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    history = await first_turn(client, tokens)
    reasoning = next(item for item in history if item["type"] == "reasoning")
    assert reasoning["encrypted_content"].startswith("gAAAAA")

    again = await post(
        client, tokens, input=follow_up(history), reasoning=REASONING, include=INCLUDE
    )

    assert again.status_code == 200
    assert emu.requests_to(RESPONSES_PATH)[-1].encrypted_reasoning == 1


async def test_replay_on_another_account_is_invalid_encrypted_content(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    bob = emu.add_account(email="bob@example.test")
    bob_tokens = emu.issue_tokens(bob.account_id)
    history = await first_turn(client, tokens)
    content = next(i for i in history if i["type"] == "reasoning")["encrypted_content"]

    refused = await post(client, bob_tokens, input=follow_up(history))

    assert refused.status_code == 400
    shown = f"{content[:4]}...{content[-4:]}"
    assert refused.json() == {
        "error": {
            "message": f"The encrypted content {shown} could not be verified.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_encrypted_content",
        }
    }
    record = emu.requests_to(RESPONSES_PATH, bob.account_id)[-1]
    assert (record.error_code, record.encrypted_reasoning) == ("invalid_encrypted_content", 1)
    assert emu.counters(bob.account_id)["responses_completed"] == 0

    stripped = [item for item in history if item["type"] != "reasoning"]
    assert (await post(client, bob_tokens, input=follow_up(stripped))).status_code == 200


async def test_forged_encrypted_content_is_refused(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    forged = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "gAAAAAxyz"}
    refused = await post(client, tokens, input=follow_up([forged]))
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "invalid_encrypted_content"


async def test_no_encrypted_content_unless_included(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    response = await post(client, tokens, reasoning=REASONING)
    done = [d["item"] for n, d in parse_sse(response.text) if n == "response.output_item.done"]
    assert "encrypted_content" not in done[0]
