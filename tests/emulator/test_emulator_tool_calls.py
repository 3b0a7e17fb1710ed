"""Answers that call tools: scripted per account or for any account, or `CALL_TOOL:<name>`,
streamed as `function_call` items; tool outputs in the input are quoted back."""

from __future__ import annotations

import json
from typing import Any

import httpx2
from emulator_helpers import RESPONSES_PATH, bearer, parse_sse, responses_body, streamed_text

from multicodex_emulator import EmuAccount, Emulator

Events = list[tuple[str, dict[str, Any]]]
WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather for a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    "strict": False,
}
TIME_TOOL = {**WEATHER_TOOL, "name": "get_time", "description": "The time"}


def user(text: str) -> dict[str, Any]:
    return {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}


def call_item(call_id: str, name: str = "get_weather") -> dict[str, Any]:
    return {"type": "function_call", "call_id": call_id, "name": name, "arguments": "{}"}


def output_item(call_id: str, output: Any) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": output}


async def answer(
    client: httpx2.AsyncClient, tokens: dict[str, Any], **overrides: Any
) -> tuple[httpx2.Response, Events]:
    response = await client.post(
        RESPONSES_PATH, headers=bearer(tokens), json=responses_body(**overrides)
    )
    return response, parse_sse(response.text) if response.status_code == 200 else []


def named(events: Events, name: str) -> list[dict[str, Any]]:
    return [data for event, data in events if event == name]


def called_names(events: Events) -> list[str]:
    return [d["item"]["name"] for d in named(events, "response.output_item.done")]


async def test_scripted_call_streams_a_function_call_item(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    arguments = json.dumps({"city": "Paris", "unit": "celsius"})
    pending = emu.script_tool_calls(
        [{"name": "get_weather", "arguments": arguments, "call_id": "call_fixed"}],
        account_id=account.account_id,
    )
    assert pending == 1

    response, events = await answer(client, tokens, tools=[WEATHER_TOOL])

    assert response.status_code == 200
    names = [name for name, _ in events]
    deltas = named(events, "response.function_call_arguments.delta")
    assert names == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        *["response.function_call_arguments.delta"] * len(deltas),
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert len(deltas) > 1
    added = named(events, "response.output_item.added")[0]
    assert added["output_index"] == 0
    assert added["item"]["type"] == "function_call"
    assert added["item"]["id"].startswith("fc_")
    assert (added["item"]["call_id"], added["item"]["name"]) == ("call_fixed", "get_weather")
    assert added["item"]["arguments"] == ""
    assert {d["item_id"] for d in deltas} == {added["item"]["id"]}
    assert "".join(d["delta"] for d in deltas) == arguments
    done = named(events, "response.function_call_arguments.done")[0]
    assert (done["arguments"], done["name"]) == (arguments, "get_weather")
    item = named(events, "response.output_item.done")[0]["item"]
    assert item == {
        "id": added["item"]["id"],
        "type": "function_call",
        "status": "completed",
        "arguments": arguments,
        "call_id": "call_fixed",
        "name": "get_weather",
    }
    completed = events[-1][1]["response"]
    assert completed["output"] == []  # the ChatGPT backend's shape: clients accumulate
    assert completed["usage"]["output_tokens"] > 0
    assert emu.requests_to(RESPONSES_PATH)[-1].tool_calls == ["call_fixed"]

    _, after = await answer(client, tokens, tools=[WEATHER_TOOL])
    assert streamed_text(after).startswith("Hello from alice@example.test.")
    assert named(after, "response.function_call_arguments.done") == []


async def test_parallel_calls_scripted_for_any_account_over_the_control_api(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    emu.update_settings(completed_output_items=True)
    calls = [
        {"name": "get_weather", "arguments": {"city": "Oslo"}},
        {"name": "get_time", "arguments": "{}"},
    ]
    scripted = await client.post("/_emu/tool-calls", json={"calls": calls})
    assert scripted.json() == {"pending": 1}

    _, events = await answer(client, tokens, tools=[WEATHER_TOOL, TIME_TOOL])

    items = [d["item"] for d in named(events, "response.output_item.done")]
    assert [d["output_index"] for d in named(events, "response.output_item.done")] == [0, 1]
    assert [(i["name"], i["arguments"]) for i in items] == [
        ("get_weather", '{"city":"Oslo"}'),
        ("get_time", "{}"),
    ]
    assert all(i["call_id"].startswith("call_") for i in items)
    assert len({i["call_id"] for i in items}) == 2
    assert events[-1][1]["response"]["output"] == items
    assert emu.requests_to(RESPONSES_PATH)[-1].tool_calls == [i["call_id"] for i in items]
    assert named(events, "response.output_text.delta") == []


async def test_account_script_comes_before_the_any_account_script(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_tool_calls([{"name": "get_time"}])
    path = f"/_emu/accounts/{account.account_id}/tool-calls"
    own = await client.post(path, json={"calls": [{"name": "get_weather"}]})
    assert own.json() == {"pending": 1}

    first = called_names((await answer(client, tokens))[1])
    second = called_names((await answer(client, tokens))[1])

    assert (first, second) == (["get_weather"], ["get_time"])


async def test_tool_call_scripts_refuse_bad_input_and_unknown_accounts(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    bad_arguments = await client.post(
        "/_emu/tool-calls", json={"calls": [{"name": "x", "arguments": "{not json"}]}
    )
    assert bad_arguments.status_code == 400
    assert "arguments must be a JSON text" in bad_arguments.json()["error"]
    assert (await client.post("/_emu/tool-calls", json={"calls": []})).status_code == 400
    unknown = await client.post("/_emu/accounts/nobody/tool-calls", json={"calls": [{"name": "x"}]})
    assert unknown.status_code == 404
    emu.script_tool_calls([{"name": "get_time"}])
    assert (await client.delete("/_emu/tool-calls")).json() == {"pending": 0}
    _, events = await answer(client, tokens)
    assert named(events, "response.function_call_arguments.done") == []


async def test_call_tool_marker_calls_each_declared_tool_it_names(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    prompt = [user("Please CALL_TOOL:get_time and CALL_TOOL:get_weather, not CALL_TOOL:nope")]

    _, events = await answer(client, tokens, input=prompt, tools=[WEATHER_TOOL, TIME_TOOL])
    items = [d["item"] for d in named(events, "response.output_item.done")]
    assert [(i["name"], i["arguments"]) for i in items] == [
        ("get_time", "{}"),
        ("get_weather", "{}"),
    ]

    for overrides in ({"tools": []}, {"tools": [TIME_TOOL], "tool_choice": "none"}):
        _, plain = await answer(client, tokens, input=prompt, **overrides)
        assert named(plain, "response.function_call_arguments.done") == []
        assert streamed_text(plain).startswith("Hello from")


async def test_tool_outputs_are_quoted_back_and_logged(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    history = [
        user("What is the weather in Paris and the time?"),
        call_item("call_a"),
        call_item("call_b", "get_time"),
        output_item("call_a", "sunny, 21 C"),
        output_item("call_b", [{"type": "input_text", "text": "12:30"}]),
    ]

    response, events = await answer(client, tokens, input=history, tools=[WEATHER_TOOL])

    assert response.status_code == 200
    text = streamed_text(events)
    assert text == "Hello from alice@example.test. tool said: sunny, 21 C tool said: 12:30"
    record = emu.requests_to(RESPONSES_PATH)[-1]
    assert record.input_items == [
        "message",
        "function_call",
        "function_call",
        "function_call_output",
        "function_call_output",
    ]
    assert record.tool_outputs == ["call_a", "call_b"]
    assert record.tool_calls == []


async def test_an_output_without_its_call_is_refused_like_the_backend(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    orphan = [user("hi"), output_item("call_missing", "42")]
    response, _ = await answer(client, tokens, input=orphan)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "No tool call found for function call output with call_id call_missing.",
            "type": "invalid_request_error",
            "param": "input",
            "code": None,
        }
    }
    assert response.headers["x-codex-primary-used-percent"] == "0"

    unanswered = [user("hi"), call_item("call_open")]
    response, _ = await answer(client, tokens, input=unanswered)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "No tool output found for function call call_open."
    )
    record = emu.requests_to(RESPONSES_PATH)[-1]
    assert (record.error_code, record.input_items) == (
        "invalid_request",
        ["message", "function_call"],
    )
    assert emu.counters(account.account_id)["responses_completed"] == 0


async def test_reasoning_then_tool_calls_and_a_drop_before_them(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_tool_calls([{"name": "get_time"}], account_id=account.account_id)
    _, events = await answer(client, tokens, reasoning={"effort": "low", "summary": "auto"})
    done = named(events, "response.output_item.done")
    assert [(d["output_index"], d["item"]["type"]) for d in done] == [
        (0, "reasoning"),
        (1, "function_call"),
    ]

    emu.script_tool_calls([{"name": "get_time"}], account_id=account.account_id)
    emu.script_faults(account.account_id, [{"kind": "drop_mid_stream", "mode": "eof"}])
    _, dropped = await answer(client, tokens)
    assert named(dropped, "response.output_item.added") == []
    assert [name for name, _ in dropped][-1] == "response.in_progress"
