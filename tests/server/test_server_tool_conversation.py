"""Agent conversations through multicodex/complete, end to end against the emulator: tool
calls stream back as tool_call deltas, tool results go back as input, a conversation keeps
one account and one prompt cache key (and earns cached tokens from its second turn), its
encrypted reasoning is replayed on that account and left behind when it must move, and
tool calls and their outputs survive the move."""

from __future__ import annotations

from typing import Any

from support.server_rig import ServerRig, deltas_of, ready

COMPLETE = "multicodex/complete"
RESPONSES = "/backend-api/codex/responses"
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
CLOCK = {"type": "function", "name": "get_time", "parameters": {"type": "object"}}
REASONING = {"effort": "low", "summary": "auto"}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def tool_output(call_id: str, output: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": output}


async def turn(rig: ServerRig, stream_id: str, history: list[dict[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = await rig.client.request(
        COMPLETE,
        {
            "stream_id": stream_id,
            "model": "gpt-5.5",
            "input": history,
            "tools": [WEATHER, CLOCK],
            "conversation_id": "conv-tools",
            "reasoning": REASONING,
        },
    )
    return result


def tool_call_deltas(rig: ServerRig, stream_id: str) -> list[dict[str, Any]]:
    return [d["tool_call"] for d in deltas_of(rig.client, stream_id) if d["kind"] == "tool_call"]


def types_of(items: list[dict[str, Any]]) -> list[str]:
    return [item["type"] for item in items]


async def test_a_three_turn_tool_conversation_keeps_one_account_one_cache_key_and_hits_the_cache(
    server_rig: ServerRig,
) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    history = [user("What is the weather in Oslo? CALL_TOOL:get_weather")]

    first = await turn(server_rig, "t-1", history)

    [call] = tool_call_deltas(server_rig, "t-1")
    assert call["name"] == "get_weather"
    assert call["call_id"].startswith("call_")
    calls_kept = [i for i in first["output_items"] if i["type"] == "function_call"]
    assert [(i["call_id"], i["name"], i["arguments"]) for i in calls_kept] == [
        (call["call_id"], "get_weather", call["arguments"])
    ]
    reasoning = [i for i in first["output_items"] if i["type"] == "reasoning"]
    assert reasoning and all(i["encrypted_content"] for i in reasoning)
    history = [*history, *first["output_items"], tool_output(call["call_id"], "4 degrees, rain")]

    second = await turn(server_rig, "t-2", history)

    assert tool_call_deltas(server_rig, "t-2") == []
    assert second["text"]
    history = [*history, *second["output_items"], user("And tomorrow?")]

    third = await turn(server_rig, "t-3", history)

    assert third["text"]
    results = [first, second, third]
    assert {r["account"]["key"] for r in results} == {alice["key"]}
    assert all(r["switches"] == [] for r in results)
    sent = server_rig.emu.requests_to(RESPONSES)
    assert len(sent) == 3
    assert {s.account_id for s in sent} == {alice["account_id"]}
    assert {s.prompt_cache_key for s in sent} == {"conv-tools"}
    assert sent[1].tool_outputs == [call["call_id"]]
    assert sent[1].encrypted_reasoning == len(reasoning)  # replayed on its own account
    assert first["usage"]["cached_tokens"] == 0
    assert 0 < second["usage"]["cached_tokens"] <= second["usage"]["input_tokens"]
    assert 0 < third["usage"]["cached_tokens"] <= third["usage"]["input_tokens"]
    assert [s.cached_tokens for s in sent] == [r["usage"]["cached_tokens"] for r in results]
    assert server_rig.emu.requests_to(RESPONSES, bob["account_id"]) == []


async def test_parallel_tool_calls_come_back_as_one_delta_each(server_rig: ServerRig) -> None:
    await ready(server_rig, "alice@example.test")

    result = await turn(
        server_rig, "p-1", [user("Weather and time? CALL_TOOL:get_weather CALL_TOOL:get_time")]
    )

    calls = tool_call_deltas(server_rig, "p-1")
    assert [c["name"] for c in calls] == ["get_weather", "get_time"]
    assert len({c["call_id"] for c in calls}) == 2
    items = [i for i in result["output_items"] if i["type"] == "function_call"]
    assert [(i["call_id"], i["name"]) for i in items] == [(c["call_id"], c["name"]) for c in calls]
    [sent] = server_rig.emu.requests_to(RESPONSES)
    assert sent.body["parallel_tool_calls"] is True
    assert sent.tool_calls == [c["call_id"] for c in calls]
    kinds = [d["kind"] for d in deltas_of(server_rig.client, "p-1")]
    assert kinds.count("tool_call") == 2


async def test_a_tool_result_turn_moves_with_its_tool_items_and_without_the_reasoning(
    server_rig: ServerRig,
) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    history = [user("Weather in Oslo? CALL_TOOL:get_weather")]
    first = await turn(server_rig, "m-1", history)
    assert first["account"]["key"] == alice["key"]
    [call] = tool_call_deltas(server_rig, "m-1")
    history = [*history, *first["output_items"], tool_output(call["call_id"], "4 degrees")]
    assert "reasoning" in types_of(history)
    server_rig.emu.set_usage(alice["account_id"], five_hour_used=100.0)

    second = await turn(server_rig, "m-2", history)

    assert second["account"]["key"] == bob["key"]
    assert second["text"]
    [switch] = second["switches"]
    assert switch["from_account"]["key"] == alice["key"]
    assert any("encrypted reasoning" in r for r in second["selection_reasons"])
    [moved] = server_rig.emu.requests_to(RESPONSES, bob["account_id"])
    expected = [i for i in history if i["type"] != "reasoning"]
    assert moved.body["input"] == expected
    assert types_of(expected) == ["message", "function_call", "function_call_output"]
    assert moved.tool_outputs == [call["call_id"]]
    assert moved.encrypted_reasoning == 0
    assert moved.prompt_cache_key == "conv-tools"
    kinds = [d["kind"] for d in deltas_of(server_rig.client, "m-2")]
    assert "switch" in kinds
