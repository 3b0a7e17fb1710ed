"""The backend body a completion becomes (tools, tool_choice, what a move to another account
keeps) and the tool_call delta a finished function call becomes."""

from __future__ import annotations

from typing import Any

from multicodex.app.completion import completion_request
from multicodex.app.deltas import DeltaStream
from multicodex.protocol import AccountRef, CompleteParams, CompletionDelta
from multicodex.rotation.body import build_body, has_account_bound_items
from multicodex.rotation.models import CompletionRequest, TextDeltas, ToolCallDelta

USER = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "weather?"}]}
REASONING = {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": "sealed"}
CALL = {
    "type": "function_call",
    "id": "fc_1",
    "call_id": "call_1",
    "name": "get_weather",
    "arguments": '{"city":"Oslo"}',
    "status": "completed",
}
OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": "4 degrees, rain"}
WEATHER = {
    "type": "function",
    "name": "get_weather",
    "description": "Weather in a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def params(**fields: Any) -> CompleteParams:
    return CompleteParams.model_validate({"stream_id": "s", "model": "gpt-5.5", **fields})


def body_of(request: CompletionRequest, *, moved: bool = False) -> dict[str, Any]:
    return build_body(request, cache_key="conv-1", moved=moved)


def test_function_tools_go_to_the_backend_with_strict_off_and_parallel_calls_on() -> None:
    body = body_of(completion_request(params(prompt="hi", tools=[WEATHER])))

    assert body["tools"] == [{**WEATHER, "strict": False}]
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is True


def test_a_tool_without_parameters_takes_an_empty_object_and_strict_is_kept_when_asked() -> None:
    tool = {"type": "function", "name": "now", "strict": True}

    [sent] = body_of(completion_request(params(prompt="hi", tools=[tool])))["tools"]

    assert sent == {
        "type": "function",
        "name": "now",
        "strict": True,
        "parameters": {"type": "object", "properties": {}},
    }


def test_without_tools_nothing_is_called_in_parallel() -> None:
    body = body_of(completion_request(params(prompt="hi")))

    assert body["tools"] == []
    assert body["tool_choice"] == "auto"
    assert body["parallel_tool_calls"] is False


def test_tool_choice_reaches_the_body_as_given() -> None:
    forced = {"type": "function", "name": "get_weather"}
    for choice in ("required", "none", forced):
        request = completion_request(params(prompt="hi", tools=[WEATHER], tool_choice=choice))
        assert body_of(request)["tool_choice"] == choice


def test_a_move_to_another_account_keeps_tool_calls_and_outputs_and_drops_reasoning() -> None:
    history = [USER, REASONING, CALL, OUTPUT]
    request = completion_request(params(input=history, tools=[WEATHER]))

    assert has_account_bound_items(history)
    assert body_of(request, moved=True)["input"] == [USER, CALL, OUTPUT]
    assert body_of(request, moved=False)["input"] == history


def test_reasoning_asks_for_its_encrypted_content() -> None:
    request = completion_request(params(prompt="hi", reasoning={"effort": "low"}))

    body = body_of(request)

    assert body["reasoning"] == {"effort": "low"}
    assert body["include"] == ["reasoning.encrypted_content"]


def test_a_finished_function_call_becomes_a_tool_call_delta() -> None:
    sent: list[CompletionDelta] = []
    stream = DeltaStream("s-1", sent.append, lambda _key: None, lambda: 0.0)

    stream.on_tool_call(
        ToolCallDelta(
            call_id="call_1", name="get_weather", arguments='{"city":"Oslo"}', account_key="k"
        )
    )

    [delta] = sent
    assert delta.kind == "tool_call"
    assert delta.seq == 0
    assert delta.text == "get_weather"
    assert delta.tool_call is not None
    assert delta.tool_call.model_dump() == {
        "call_id": "call_1",
        "name": "get_weather",
        "arguments": '{"city":"Oslo"}',
    }
    assert delta.account is not None and delta.account.key == "k"


TEXTS = [
    "",
    "plain",
    'quote " and backslash \\ and slash /',
    "line\nbreak\r\ttab\b\f",
    "control \x00\x01\x1f and delete \x7f",
    "unicode é 漢字 and emoji 🙂",
    "separators \u2028 \u2029",
    "<script>&amp;</script>",
]


def test_text_deltas_sent_as_json_are_the_json_of_their_models() -> None:
    refs = {
        "k1": AccountRef(key="k1", display_name='Zoë "work"'),
        "k2": AccountRef(key="k\\2", display_name="bob"),
    }
    as_models: list[CompletionDelta] = []
    as_json: list[bytes] = []
    writes: list[int] = []

    def send_json(frames: list[bytes]) -> None:
        writes.append(len(frames))
        as_json.extend(frames)

    streams = [
        DeltaStream('s-"1"\n', as_models.append, refs.get, lambda: 0.0),
        DeltaStream('s-"1"\n', as_models.append, refs.get, lambda: 0.0, send_json=send_json),
    ]
    for stream in streams:
        stream.on_text(TextDeltas(kind="text", texts=TEXTS, account_key="k1"))
        stream.on_text(TextDeltas(kind="reasoning", texts=TEXTS[:3], account_key="k2"))
        stream.on_text(TextDeltas(kind="text", texts=["unknown"], account_key="k3"))

    expected = [delta.model_dump_json().encode() for delta in as_models]
    assert as_json == expected
    assert [CompletionDelta.model_validate_json(raw).seq for raw in as_json] == list(range(12))
    assert streams[1].count == 12
    assert writes == [len(TEXTS), 3, 1]  # a run's deltas go out together
