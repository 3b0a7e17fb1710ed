"""Typed events, request headers and the model list shape."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from multicodex.codex.events import FinalResponse, ResponseEvent, event_from_sse
from multicodex.codex.headers import default_user_agent, stream_headers
from multicodex.codex.models import ModelInfo, ModelListPayload
from multicodex.codex.sse import SSEEvent


def test_event_from_sse_uses_the_json_type() -> None:
    event = event_from_sse(
        SSEEvent("ignored", b'{"type":"response.output_text.delta","delta":"Hi","output_index":0}')
    )
    assert event is not None
    assert event.type == "response.output_text.delta"
    assert event.delta == "Hi"
    assert event.is_terminal is False
    assert event.data["output_index"] == 0


def test_event_without_json_type_falls_back_to_event_name() -> None:
    event = event_from_sse(SSEEvent("codex.rate_limits", b'{"plan_type":"plus"}'))
    assert event is not None and event.type == "codex.rate_limits"
    assert event.delta is None


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters(codec="utf-8")),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=500, deadline=None)
@given(payload=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_events_decode_as_json_loads_reads_them(payload: dict[str, Any]) -> None:
    for ensure_ascii in (True, False):
        data = json.dumps(payload, ensure_ascii=ensure_ascii).encode()
        event = event_from_sse(SSEEvent("x", data))
        assert event is not None
        assert event.data == json.loads(data)


@pytest.mark.parametrize(
    "data",
    [
        b'{"text":"\\ud800 a lone surrogate"}',
        b'{"big":1e400,"small":-1e400}',
        b'{"n":123456789012345678901234567890123}',
        b'{"a":1,"a":2}',
        b' {"padded":true} ',
    ],
)
def test_payloads_at_the_edges_of_json_decode_as_json_loads_reads_them(data: bytes) -> None:
    event = event_from_sse(SSEEvent("x", data))
    assert event is not None
    assert event.data == json.loads(data)


@pytest.mark.parametrize("data", [b'{"a":1}x', b'{"a":', b"\xff\xfe", b'{"a":"\\x"}'])
def test_payloads_json_refuses_are_skipped(data: bytes) -> None:
    assert event_from_sse(SSEEvent("x", data)) is None


def test_non_object_payloads_are_skipped() -> None:
    assert event_from_sse(SSEEvent(None, b"[DONE]")) is None
    assert event_from_sse(SSEEvent(None, b"[1,2]")) is None
    assert event_from_sse(SSEEvent(None, b'{"type": "trunc')) is None
    assert event_from_sse(SSEEvent(None, b"\xff\xfe")) is None


def test_terminal_events_and_response_accessor() -> None:
    for kind in ("response.completed", "response.incomplete", "response.failed", "error"):
        assert ResponseEvent(type=kind, data={"type": kind}).is_terminal
    created = ResponseEvent(
        type="response.created", data={"type": "response.created", "response": {"id": "r1"}}
    )
    assert created.response == {"id": "r1"}
    assert not created.is_terminal


def test_reasoning_delta_is_not_a_text_delta() -> None:
    event = ResponseEvent(
        type="response.reasoning_summary_text.delta",
        data={"type": "response.reasoning_summary_text.delta", "delta": "thinking"},
    )
    assert event.delta is None


def test_final_response_reads_usage_with_null_details() -> None:
    final = FinalResponse.model_validate(
        {
            "id": "resp_01",
            "status": "completed",
            "output": [],
            "usage": {
                "input_tokens": 1200,
                "input_tokens_details": {"cached_tokens": 1024},
                "output_tokens": 40,
                "output_tokens_details": None,
                "total_tokens": 1240,
            },
        }
    )
    assert final.id == "resp_01"
    assert final.usage is not None
    assert final.usage.cached_tokens == 1024
    assert final.usage.reasoning_tokens == 0
    assert final.usage.total_tokens == 1240


def test_stream_headers_send_both_session_id_spellings_and_extras_override() -> None:
    headers = stream_headers(
        access_token="tok",
        account_id="acct-1",
        originator="codex_cli_rs",
        user_agent="ua/1",
        session_id="sess-1",
        extra={"accept": "text/event-stream; charset=utf-8", "x-codex-turn-state": "t"},
    )
    assert headers["Authorization"] == "Bearer tok"
    assert headers["chatgpt-account-id"] == "acct-1"
    assert headers["Content-Type"] == "application/json"
    assert headers["originator"] == "codex_cli_rs"
    assert headers["User-Agent"] == "ua/1"
    assert headers["session_id"] == headers["session-id"] == "sess-1"
    assert [k for k in headers if k.lower() == "accept"] == ["accept"]
    assert headers["accept"] == "text/event-stream; charset=utf-8"
    assert headers["x-codex-turn-state"] == "t"


def test_no_session_headers_without_a_session() -> None:
    headers = stream_headers(access_token="tok", account_id=None, originator="o", user_agent="ua")
    assert "session_id" not in headers and "session-id" not in headers
    assert "chatgpt-account-id" not in headers


def test_default_user_agent_starts_with_originator_and_version() -> None:
    agent = default_user_agent("codex_cli_rs")
    assert agent.startswith("codex_cli_rs/0.")
    assert "multicodex/" in agent


def test_model_list_tolerates_missing_and_unknown_fields() -> None:
    listing = ModelListPayload.model_validate(
        {
            "models": [
                {
                    "slug": "gpt-5.5",
                    "display_name": "GPT-5.5",
                    "visibility": "list",
                    "supported_in_api": True,
                    "context_window": 272000,
                    "supported_reasoning_levels": [{"effort": "low", "description": "fast"}],
                    "base_instructions": "…",
                },
                {"slug": "codex-auto-review", "visibility": "hide"},
            ]
        }
    )
    first, second = listing.models
    assert first == ModelInfo.model_validate(first.model_dump())
    assert first.display_name == "GPT-5.5" and first.listed
    assert first.supported_reasoning_levels[0].effort == "low"
    assert second.display_name == "codex-auto-review"
    assert not second.listed
