"""Scripted faults of /codex/responses, one per request, and client-disconnect recording."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx2
import pydantic
import pytest
from emulator_helpers import RESPONSES_PATH, USAGE_PATH, bearer, parse_sse, responses_body

from multicodex_emulator import (
    DropMidStreamFault,
    EmuAccount,
    Emulator,
    RecordedRequest,
    StallFault,
    StatusFault,
)


async def post(client: httpx2.AsyncClient, tokens: dict[str, Any]) -> httpx2.Response:
    return await client.post(RESPONSES_PATH, headers=bearer(tokens), json=responses_body())


def event_names(answer: httpx2.Response) -> list[str]:
    return [name for name, _ in parse_sse(answer.text)]


def last_record(emu: Emulator) -> RecordedRequest:
    return emu.requests_to(RESPONSES_PATH)[-1]


async def test_faults_are_consumed_in_order_one_per_request(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(
        account.account_id, [StatusFault(status=500), {"kind": "status", "status": 502}]
    )
    statuses = [(await post(client, tokens)).status_code for _ in range(3)]
    assert statuses == [500, 502, 200]
    assert emu.account(account.account_id).pending_faults == 0
    assert emu.counters(account.account_id)["responses_failed"] == 2


async def test_status_fault_bodies_and_headers(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(
        account.account_id,
        [{"kind": "status", "status": 504}, {"kind": "status", "status": 500, "body": {"x": 1}}],
    )
    gateway = await post(client, tokens)
    assert (gateway.status_code, gateway.json()) == (504, {"detail": "Gateway Timeout"})
    assert gateway.headers["x-codex-primary-used-percent"] == "0"
    custom = await post(client, tokens)
    assert (custom.status_code, custom.json()) == (500, {"x": 1})
    assert last_record(emu).fault == "status"


async def test_overloaded_and_throttle(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(
        account.account_id, [{"kind": "overloaded"}, {"kind": "throttle", "retry_after_seconds": 2}]
    )
    overloaded = await post(client, tokens)
    assert overloaded.status_code == 503
    assert overloaded.json()["error"]["code"] == "server_is_overloaded"
    throttled = await post(client, tokens)
    assert throttled.status_code == 429
    error = throttled.json()["error"]
    assert error["code"] == "rate_limit_exceeded"
    assert error["type"] != "usage_limit_reached"
    assert "try again in 2s" in error["message"]
    assert emu.counters(account.account_id)["responses_429"] == 1


async def test_unauthorized_fault_then_recovery(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [{"kind": "unauthorized"}])
    refused = await post(client, tokens)
    assert (refused.status_code, refused.json()) == (401, {"detail": "Unauthorized"})
    assert "x-error-json" in refused.headers
    assert (await post(client, tokens)).status_code == 200


async def test_failed_in_stream_and_error_event_come_right_after_created(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(
        account.account_id,
        [
            {"kind": "failed_in_stream", "code": "context_length_exceeded"},
            {"kind": "failed_in_stream"},
            {"kind": "error_event", "code": "server_error", "message": "boom"},
        ],
    )
    context = await post(client, tokens)
    assert context.status_code == 200
    events = parse_sse(context.text)
    assert [n for n, _ in events] == ["response.created", "response.failed"]
    assert events[1][1]["response"]["error"]["code"] == "context_length_exceeded"
    assert events[1][1]["response"]["status"] == "failed"

    rate = parse_sse((await post(client, tokens)).text)
    assert "try again in" in rate[1][1]["response"]["error"]["message"]

    errored = parse_sse((await post(client, tokens)).text)
    assert [n for n, _ in errored] == ["response.created", "error"]
    assert (errored[1][1]["code"], errored[1][1]["message"]) == ("server_error", "boom")
    usage = emu.usage(account.account_id)["rate_limit"]["primary_window"]
    assert usage["used_percent"] == 0
    assert emu.counters(account.account_id)["responses_failed"] == 3


async def test_drop_mid_stream_resets_the_connection_after_n_deltas(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [DropMidStreamFault(after_deltas=4)])
    received: list[str] = []
    with pytest.raises(httpx2.TransportError):
        async with client.stream(
            "POST", RESPONSES_PATH, headers=bearer(tokens), json=responses_body()
        ) as answer:
            assert answer.status_code == 200
            async for line in answer.aiter_lines():
                received.append(line)
    assert sum("output_text.delta" in line and "data:" in line for line in received) == 4
    record = last_record(emu)
    assert (record.deltas_sent, record.terminal_event) == (4, None)
    assert record.client_disconnected is False
    assert emu.counters(account.account_id)["responses_completed"] == 0


async def test_drop_mid_stream_eof_ends_the_body_without_completed(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(
        account.account_id, [{"kind": "drop_mid_stream", "after_deltas": 0, "mode": "eof"}]
    )
    answer = await post(client, tokens)
    assert answer.status_code == 200
    assert event_names(answer) == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]


async def test_stall_pauses_then_completes(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [StallFault(after_deltas=2, seconds=0.2)])
    answer = await post(client, tokens)
    assert event_names(answer)[-1] == "response.completed"
    assert last_record(emu).deltas_sent == 20


async def test_stall_outlasting_the_client_read_timeout(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [{"kind": "stall", "after_deltas": 1, "seconds": 30}])
    with pytest.raises(httpx2.ReadTimeout):
        await client.post(
            RESPONSES_PATH, headers=bearer(tokens), json=responses_body(), timeout=0.5
        )


async def test_a_stall_before_the_first_event_then_the_whole_answer(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    scripted = await client.post(
        f"/_emu/accounts/{account.account_id}/faults",
        json={"faults": [{"kind": "stall", "before_first_event": True, "seconds": 0.2}]},
    )
    assert scripted.status_code == 200
    answer = await post(client, tokens)
    names = event_names(answer)
    assert (names[0], names[-1]) == ("response.created", "response.completed")
    assert (last_record(emu).fault, last_record(emu).deltas_sent) == ("stall", 20)


async def test_a_stall_before_the_first_event_sends_headers_then_nothing(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [StallFault(before_first_event=True, seconds=60)])
    async with client.stream(
        "POST",
        RESPONSES_PATH,
        headers=bearer(tokens),
        json=responses_body(),
        timeout=httpx2.Timeout(15.0, read=0.5),
    ) as answer:
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith("text/event-stream")
        with pytest.raises(httpx2.ReadTimeout):
            await anext(answer.aiter_bytes())
    record = await wait_for_record(emu, lambda r: r.client_disconnected)
    assert (record.deltas_sent, record.terminal_event) == (0, None)
    assert emu.counters(account.account_id)["client_disconnects"] == 1


async def test_latency_delays_then_answers(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [{"kind": "latency", "seconds": 0.1}])
    answer = await post(client, tokens)
    assert (answer.status_code, event_names(answer)[-1]) == (200, "response.completed")
    assert last_record(emu).fault == "latency"


async def test_incomplete_terminal_event(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [{"kind": "incomplete", "reason": "max_output_tokens"}])
    events = parse_sse((await post(client, tokens)).text)
    name, data = events[-1]
    assert name == "response.incomplete"
    assert data["response"]["status"] == "incomplete"
    assert data["response"]["incomplete_details"] == {"reason": "max_output_tokens"}
    assert data["response"]["usage"]["output_tokens"] == 20


async def test_stale_usage_429_while_usage_says_allowed(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [{"kind": "stale_usage"}])
    refused = await post(client, tokens)
    assert refused.status_code == 429
    assert refused.json()["error"]["type"] == "usage_limit_reached"
    usage = (await client.get(USAGE_PATH, headers=bearer(tokens))).json()
    assert usage["rate_limit"]["allowed"] is True
    assert (await post(client, tokens)).status_code == 200


def test_invalid_faults_are_rejected(emu: Emulator, account: EmuAccount) -> None:
    with pytest.raises(pydantic.ValidationError):
        emu.script_faults(account.account_id, [{"kind": "explode"}])
    with pytest.raises(pydantic.ValidationError):
        emu.script_faults(account.account_id, [{"kind": "status", "status": 200}])
    with pytest.raises(KeyError):
        emu.script_faults("no-such-account", [])


async def test_client_disconnect_stops_generation_and_is_recorded(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_faults(account.account_id, [{"kind": "stall", "after_deltas": 1, "seconds": 60}])
    async with client.stream(
        "POST", RESPONSES_PATH, headers=bearer(tokens), json=responses_body()
    ) as answer:
        async for line in answer.aiter_lines():
            if line.startswith("data:") and "output_text.delta" in line:
                break
    closed_at = time.time()
    record = await wait_for_record(emu, lambda r: r.client_disconnected)
    assert record.disconnected_at is not None
    assert record.started_at <= record.disconnected_at
    assert record.disconnected_at >= closed_at - 1.0
    assert (record.deltas_sent, record.terminal_event) == (1, None)
    counters = emu.counters(account.account_id)
    assert (counters["client_disconnects"], counters["responses_completed"]) == (1, 0)
    assert emu.usage(account.account_id)["rate_limit"]["primary_window"]["used_percent"] == 0


async def wait_for_record(emu: Emulator, ready: Any) -> RecordedRequest:
    """Poll the log (bounded: 10 s) until the last record satisfies `ready`."""
    for _ in range(500):
        record = last_record(emu)
        if ready(record):
            return record
        await asyncio.sleep(0.02)
    raise AssertionError(f"request record never became ready: {last_record(emu)}")


def test_stopping_the_server_cuts_a_stalled_stream(emu: Emulator, account: EmuAccount) -> None:
    tokens = emu.issue_tokens(account.account_id)
    emu.script_faults(account.account_id, [{"kind": "stall", "after_deltas": 1, "seconds": 60}])
    with httpx2.Client(timeout=15) as client:
        with emu.serve_in_thread() as url:
            request = client.build_request(
                "POST", f"{url}{RESPONSES_PATH}", headers=bearer(tokens), json=responses_body()
            )
            answer = client.send(request, stream=True)
            lines = answer.iter_lines()
            assert next(lines).startswith("event:")
        # The server has stopped: the rest of the body is cut, not left hanging for 60 s.
        with pytest.raises(httpx2.TransportError):
            for _ in lines:
                pass
        answer.close()


async def test_usage_faults(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    emu.script_usage_faults(
        account.account_id,
        [
            {"kind": "status", "status": 429},
            {"kind": "status"},
            {"kind": "latency", "seconds": 0.05},
        ],
    )
    statuses = [
        (await client.get(USAGE_PATH, headers=bearer(tokens))).status_code for _ in range(4)
    ]
    assert statuses == [429, 503, 200, 200]
    assert emu.counters(account.account_id)["usage_fetches"] == 4
