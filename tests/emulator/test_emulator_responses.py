"""POST /backend-api/codex/responses: auth, validation, transport quirks, SSE and quota."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx2
import zstandard
from emulator_helpers import (
    RESPONSES_PATH,
    USAGE_PATH,
    bearer,
    parse_sse,
    responses_body,
    streamed_text,
)

from multicodex.auth.claims import decode_payload
from multicodex_emulator import EmuAccount, Emulator

EVENT_SEQUENCE = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    *["response.output_text.delta"] * 20,
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]
RATE_LIMIT_HEADERS = {
    "x-codex-active-limit",
    "x-codex-plan-type",
    "x-codex-primary-used-percent",
    "x-codex-primary-window-minutes",
    "x-codex-primary-reset-at",
    "x-codex-primary-reset-after-seconds",
    "x-codex-secondary-used-percent",
    "x-codex-secondary-window-minutes",
    "x-codex-secondary-reset-at",
    "x-codex-secondary-reset-after-seconds",
    "x-codex-primary-over-secondary-limit-percent",
    "x-codex-credits-has-credits",
    "x-codex-credits-unlimited",
    "x-codex-credits-balance",
}


def error_json(response: httpx2.Response) -> Any:
    return json.loads(base64.b64decode(response.headers["x-error-json"]))


async def post(
    client: httpx2.AsyncClient, tokens: dict[str, Any], **overrides: Any
) -> httpx2.Response:
    return await client.post(
        RESPONSES_PATH, headers=bearer(tokens), json=responses_body(**overrides)
    )


# --- auth --------------------------------------------------------------------------------


async def test_missing_or_garbage_bearer_cannot_be_parsed(client: httpx2.AsyncClient) -> None:
    for headers in ({}, {"authorization": "Bearer not-a-jwt"}, {"authorization": "Basic abc"}):
        answer = await client.post(RESPONSES_PATH, headers=headers, json=responses_body())
        assert answer.status_code == 401
        assert answer.json() == {
            "detail": "Could not parse your authentication token. Please try signing in again."
        }
        assert "error" in error_json(answer)


async def test_expired_access_token_is_unauthorized_with_x_error_json(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    assert emu.expire_access_tokens(account.account_id) == 1
    answer = await post(client, tokens)
    assert (answer.status_code, answer.json()) == (401, {"detail": "Unauthorized"})
    assert error_json(answer) == {"error": {"code": "token_expired"}}
    assert emu.counters(account.account_id)["responses"] == 0


async def test_access_tokens_expire_by_the_emulator_clock(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    assert (await post(client, tokens)).status_code == 200
    emu.advance_clock(864000)
    assert (await post(client, tokens)).status_code == 401


async def test_revoked_access_token_and_deactivated_account(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.deactivate(account.account_id)
    answer = await post(client, tokens)
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "account_deactivated"
    assert error_json(answer) == {"error": {"code": "account_deactivated"}}
    emu.deactivate(account.account_id, deactivated=False)
    assert (await post(client, tokens)).status_code == 200

    emu.revoke_access_tokens(account.account_id)
    answer = await post(client, tokens)
    assert answer.status_code == 401
    assert answer.json() == {
        "error": {
            "message": "Encountered invalidated oauth token for user, failing request",
            "type": None,
            "code": "token_revoked",
            "param": None,
        },
        "status": 401,
    }


async def test_account_header_is_lenient_unless_strict(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    wrong = {**bearer(tokens), "ChatGPT-Account-Id": "someone-else"}
    assert (await client.post(RESPONSES_PATH, headers=wrong, json=responses_body())).is_success
    emu.update_settings(strict_account_header=True)
    refused = await client.post(RESPONSES_PATH, headers=wrong, json=responses_body())
    assert refused.status_code == 403
    right = bearer(tokens, account.account_id)
    assert (await client.post(RESPONSES_PATH, headers=right, json=responses_body())).is_success


# --- validation and transport ------------------------------------------------------------


async def test_validation_errors_use_the_observed_details(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"store": True}, "Store must be set to false"),
        ({"store": None}, "Store must be set to false"),
        ({"input": "hello"}, "Input must be a list"),
        (
            {"model": "gpt-5.1-codex"},
            "The 'gpt-5.1-codex' model is not supported when using Codex with a ChatGPT account.",
        ),
        (
            {"model": "gpt-5.3-codex-spark"},
            "The 'gpt-5.3-codex-spark' model is not supported when using Codex with a "
            "ChatGPT account.",
        ),
    ]
    for overrides, detail in cases:
        answer = await post(client, tokens, **overrides)
        assert (answer.status_code, answer.json()) == (400, {"detail": detail}), overrides
        assert set(answer.headers) >= RATE_LIMIT_HEADERS


async def test_instructions_are_not_required_and_extra_fields_are_accepted(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    body = responses_body(
        input=[
            {
                "type": "message",
                "id": "msg_1",
                "role": "developer",
                "content": [{"type": "input_text", "text": "You are Codex."}],
                "internal_chat_message_metadata_passthrough": {"content_item_kinds": []},
            }
        ],
        tools=[{"type": "custom", "name": "apply_patch"}, {"type": "web_search"}],
        client_metadata={"x-codex-installation-id": "inst-1"},
        text={"verbosity": "low"},
        service_tier="priority",
    )
    assert "instructions" not in body
    answer = await client.post(RESPONSES_PATH, headers=bearer(tokens), json=body)
    assert answer.status_code == 200


async def test_model_entitlement_follows_the_plan(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    pro = emu.add_account(email="pro@example.test", plan="pro")
    tokens = emu.issue_tokens(pro.account_id)
    assert (await post(client, tokens, model="gpt-5.3-codex-spark")).status_code == 200


async def test_zstd_request_body_is_decoded(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    raw = json.dumps(responses_body(prompt_cache_key="zstd-thread")).encode()
    headers = {
        **bearer(tokens),
        "content-encoding": "zstd",
        "content-type": "application/json",
    }
    compressed = zstandard.ZstdCompressor().compress(raw)
    answer = await client.post(RESPONSES_PATH, headers=headers, content=compressed)
    assert answer.status_code == 200
    record = emu.requests_to(RESPONSES_PATH)[-1]
    assert record.content_encoding == "zstd"
    assert record.body["prompt_cache_key"] == "zstd-thread"
    garbage = await client.post(RESPONSES_PATH, headers=headers, content=b"not zstd at all")
    assert garbage.status_code == 400


async def test_websocket_upgrade_gets_426(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    headers = {
        **bearer(tokens),
        "connection": "Upgrade",
        "upgrade": "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": base64.b64encode(b"0123456789abcdef").decode(),
        "openai-beta": "responses_websockets=2026-02-06",
    }
    answer = await client.get(RESPONSES_PATH, headers=headers)
    assert answer.status_code == 426
    plain_get = await client.get(RESPONSES_PATH, headers=bearer(tokens))
    assert plain_get.status_code == 405


# --- success -----------------------------------------------------------------------------


async def test_success_streams_the_full_event_sequence(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    answer = await post(client, tokens)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(answer.text)
    assert [name for name, _ in events] == EVENT_SEQUENCE
    assert all(name == data["type"] for name, data in events)
    assert [data["sequence_number"] for _, data in events] == list(range(len(events)))
    text = streamed_text(events)
    assert text.startswith("Hello from alice@example.test.")
    done = dict(events)["response.output_text.done"]
    assert done["text"] == text
    item = dict(events)["response.output_item.done"]["item"]
    assert item["content"][0]["text"] == text
    completed = events[-1][1]["response"]
    assert completed["status"] == "completed"
    assert completed["output"] == []
    usage = completed["usage"]
    assert usage["output_tokens"] == 20
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["input_tokens_details"]["cached_tokens"] == 0
    assert emu.counters(account.account_id)["responses_completed"] == 1


async def test_success_headers_carry_rate_limits_and_ids(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    headers = {**bearer(tokens), "x-codex-turn-state": "turn-state-abc"}
    answer = await client.post(RESPONSES_PATH, headers=headers, json=responses_body())
    assert set(answer.headers) >= RATE_LIMIT_HEADERS
    assert answer.headers["x-codex-credits-has-credits"] == "False"
    assert answer.headers["x-codex-credits-unlimited"] == "False"
    assert answer.headers["x-codex-primary-window-minutes"] == "300"
    assert answer.headers["x-codex-secondary-window-minutes"] == "10080"
    assert answer.headers["x-codex-plan-type"] == "plus"
    assert answer.headers["x-codex-active-limit"] == "codex"
    assert answer.headers["x-models-etag"].startswith('W/"')
    assert answer.headers["x-oai-request-id"].startswith("req_")
    assert answer.headers["x-codex-turn-state"] == "turn-state-abc"
    fresh = await post(client, tokens)
    assert fresh.headers["x-codex-turn-state"]
    assert fresh.headers["x-oai-request-id"] != answer.headers["x-oai-request-id"]


async def test_reasoning_item_when_reasoning_is_requested(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    answer = await post(
        client,
        tokens,
        reasoning={"effort": "medium", "summary": "auto"},
        include=["reasoning.encrypted_content"],
    )
    events = parse_sse(answer.text)
    names = [name for name, _ in events]
    assert names[2:8] == [
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        "response.reasoning_summary_text.delta",
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
    ]
    reasoning = events[7][1]["item"]
    assert reasoning["type"] == "reasoning"
    assert reasoning["encrypted_content"]
    message = events[8][1]
    assert (message["output_index"], message["item"]["type"]) == (1, "message")
    assert events[-1][1]["response"]["usage"]["output_tokens_details"]["reasoning_tokens"] > 0

    plain = parse_sse((await post(client, tokens, reasoning={"effort": "low"})).text)
    reasoning_items = [d for n, d in plain if n == "response.output_item.done"]
    assert "encrypted_content" not in reasoning_items[0]["item"]
    assert reasoning_items[0]["item"]["summary"] == []


async def test_response_length_per_account_per_request_and_default(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.update_account(account.account_id, response_deltas=3)
    assert len(_deltas(await post(client, tokens))) == 3
    emu.script_faults(account.account_id, [{"kind": "ok", "deltas": 5}])
    assert len(_deltas(await post(client, tokens))) == 5
    other = emu.add_account(email="other@example.test")
    emu.update_settings(default_deltas=2)
    other_tokens = emu.issue_tokens(other.account_id)
    deltas = _deltas(await post(client, other_tokens))
    assert deltas == ["Hello from other@example.test.", " alpha"]


async def test_paced_streaming_still_delivers_everything(emu: Emulator) -> None:
    emu.update_settings(tokens_per_second=2000)
    account = emu.add_account(email="paced@example.test", response_deltas=10)
    tokens = emu.issue_tokens(account.account_id)
    async with emu.serve() as url, httpx2.AsyncClient(base_url=url, timeout=15) as client:
        assert len(_deltas(await post(client, tokens))) == 10


def _deltas(answer: httpx2.Response) -> list[str]:
    return [d["delta"] for n, d in parse_sse(answer.text) if n == "response.output_text.delta"]


# --- consumption and quota ---------------------------------------------------------------


async def test_each_success_consumes_cost_percent_of_every_window(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    account = emu.add_account(email="heavy@example.test", cost_percent=10, weekly_used=5)
    tokens = emu.issue_tokens(account.account_id)
    first = await post(client, tokens)
    assert first.headers["x-codex-primary-used-percent"] == "0"
    second = await post(client, tokens)
    assert second.headers["x-codex-primary-used-percent"] == "10"
    assert second.headers["x-codex-secondary-used-percent"] == "15"
    usage = (await client.get(USAGE_PATH, headers=bearer(tokens))).json()["rate_limit"]
    assert usage["primary_window"]["used_percent"] == 20
    assert usage["secondary_window"]["used_percent"] == 25


async def test_exhausted_window_answers_429_usage_limit_reached(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    now = emu.now()
    emu.set_usage(account.account_id, five_hour_used=100, five_hour_resets_at=now + 7200)
    answer = await post(client, tokens)
    assert answer.status_code == 429
    assert answer.headers["content-type"] == "application/json"
    error = answer.json()["error"]
    assert error["type"] == "usage_limit_reached"
    assert error["message"] == "The usage limit has been reached"
    assert error["plan_type"] == "plus"
    assert error["resets_at"] == int(now + 7200)
    assert 7100 <= error["resets_in_seconds"] <= 7200
    assert error["eligible_promo"] is None
    assert answer.headers["x-codex-primary-used-percent"] == "100"
    assert answer.headers["x-codex-primary-reset-at"] == str(int(now + 7200))
    counters = emu.counters(account.account_id)
    assert (counters["responses"], counters["responses_429"]) == (1, 1)


async def test_consumption_up_to_the_limit_then_429(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    account = emu.add_account(email="burst@example.test", cost_percent=50)
    tokens = emu.issue_tokens(account.account_id)
    statuses = [(await post(client, tokens)).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


async def test_weekly_exhaustion_governs_a_single_window_plan(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    account = emu.add_account(email="pro@example.test", plan="pro", weekly_used=100)
    tokens = emu.issue_tokens(account.account_id)
    answer = await post(client, tokens)
    assert answer.status_code == 429
    assert answer.json()["error"]["plan_type"] == "pro"
    assert answer.headers["x-codex-primary-window-minutes"] == "10080"


async def test_request_log_records_ids_and_redacts_the_bearer(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    headers = {
        **bearer(tokens, account.account_id),
        "session-id": "sess-1",
        "thread-id": "thread-1",
        "x-client-request-id": "creq-1",
        "conversation_id": "conv-1",
        "originator": "codex_exec",
    }
    await client.post(RESPONSES_PATH, headers=headers, json=responses_body())
    record = emu.requests_to(RESPONSES_PATH, account_id=account.account_id)[-1]
    assert record.headers["authorization"] == "REDACTED"
    assert tokens["access_token"] not in json.dumps(record.model_dump())
    assert record.headers["originator"] == "codex_exec"
    assert record.headers["chatgpt-account-id"] == account.account_id
    assert (record.session_id, record.thread_id) == ("sess-1", "thread-1")
    assert (record.client_request_id, record.conversation_id) == ("creq-1", "conv-1")
    assert record.prompt_cache_key == "thread-1"
    assert record.token_id == decode_payload(tokens["access_token"])["jti"]
    assert record.status == 200
    assert record.terminal_event == "response.completed"
    assert record.deltas_sent == 20
    assert record.finished_at is not None and record.finished_at >= record.started_at
    assert record.client_disconnected is False
