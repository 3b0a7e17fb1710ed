"""`usage.input_tokens_details.cached_tokens`: a repeated prefix on the same account and
`prompt_cache_key` is reported cached; anything else is not."""

from __future__ import annotations

import json
from typing import Any

import httpx2
from emulator_helpers import RESPONSES_PATH, bearer, parse_sse, responses_body

from multicodex_emulator import Emulator


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def assistant(text: str) -> dict[str, Any]:
    return {
        "type": "message",
        "role": "assistant",
        "content": [{"type": "output_text", "text": text}],
    }


FIRST_TURN = [user("Summarise the design document in three bullet points, please.")]
SECOND_TURN = [*FIRST_TURN, assistant("Here they are: one, two, three."), user("Shorter.")]


async def usage_of(
    client: httpx2.AsyncClient, tokens: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    response = await client.post(
        RESPONSES_PATH, headers=bearer(tokens), json=responses_body(**overrides)
    )
    assert response.status_code == 200
    usage: dict[str, Any] = parse_sse(response.text)[-1][1]["response"]["usage"]
    return usage


def cached(usage: dict[str, Any]) -> int:
    value: int = usage["input_tokens_details"]["cached_tokens"]
    return value


async def test_a_conversation_on_one_account_and_key_gets_its_prefix_cached(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    first = await usage_of(client, tokens, input=FIRST_TURN, prompt_cache_key="conv-1")
    second = await usage_of(client, tokens, input=SECOND_TURN, prompt_cache_key="conv-1")

    assert cached(first) == 0
    assert cached(second) == len(json.dumps(FIRST_TURN)) // 4
    assert 0 < cached(second) < second["input_tokens"]
    assert second["input_tokens"] == len(json.dumps(SECOND_TURN)) // 4
    records = emu.requests_to(RESPONSES_PATH)
    assert [r.cached_tokens for r in records] == [0, cached(second)]

    repeated = await usage_of(client, tokens, input=SECOND_TURN, prompt_cache_key="conv-1")
    assert cached(repeated) == repeated["input_tokens"]


async def test_no_cache_across_accounts_keys_or_a_different_prefix(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    other = emu.add_account(email="bob@example.test")
    bob = emu.issue_tokens(other.account_id)
    await usage_of(client, tokens, input=FIRST_TURN, prompt_cache_key="conv-1")

    on_bob = await usage_of(client, bob, input=SECOND_TURN, prompt_cache_key="conv-1")
    other_key = await usage_of(client, tokens, input=SECOND_TURN, prompt_cache_key="conv-2")
    no_key = await usage_of(client, tokens, input=SECOND_TURN, prompt_cache_key=None)
    changed = [user("A different opening."), *SECOND_TURN[1:]]
    different = await usage_of(client, tokens, input=changed, prompt_cache_key="conv-1")
    new_instructions = await usage_of(
        client, tokens, input=changed, prompt_cache_key="conv-1", instructions="Be terse."
    )

    assert [cached(u) for u in (on_bob, other_key, no_key, different, new_instructions)] == [
        0,
        0,
        0,
        0,
        0,
    ]
