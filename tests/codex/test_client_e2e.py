"""CodexClient against the loopback emulator: real sockets, real SSE, every failure class."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from multicodex.codex.client import STREAM_CLOSED_EARLY, CodexClient, ResponseStream
from multicodex.codex.errors import CodexFailure, StreamStalled
from multicodex.codex.events import ResponseEvent
from multicodex.config import Endpoints
from multicodex.model import FailureKind
from multicodex_emulator import Emulator, RecordedRequest

RESPONSES_PATH = "/backend-api/codex/responses"
WAIT_LIMIT = 15.0


@dataclass
class Wire:
    emu: Emulator
    client: CodexClient
    base_url: str

    def account(self, **kwargs: Any) -> tuple[str, str]:
        """A fresh emulator account: (account_id, access_token)."""
        kwargs.setdefault("email", f"user{len(self.emu.accounts())}@example.test")
        created = self.emu.add_account(**kwargs)
        tokens = self.emu.issue_tokens(created.account_id)
        return created.account_id, str(tokens["access_token"])

    def responses(self, account_id: str) -> list[RecordedRequest]:
        return self.emu.requests_to(RESPONSES_PATH, account_id)


@pytest.fixture
async def wire() -> AsyncIterator[Wire]:
    emu = Emulator(tokens_per_second=5000.0)
    async with emu.serve() as base_url:
        endpoints = Endpoints(auth_url=base_url, backend_url=f"{base_url}/backend-api")
        client = CodexClient(endpoints)
        try:
            yield Wire(emu=emu, client=client, base_url=base_url)
        finally:
            await client.aclose()


def request_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "gpt-5.5",
        "instructions": "You are a helpful assistant.",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "store": False,
        "stream": True,
        "prompt_cache_key": "conv-1",
    }
    body.update(overrides)
    return body


async def collect(stream: ResponseStream) -> list[ResponseEvent]:
    return [event async for event in stream]


async def stream_failure(wire: Wire, account_id: str, token: str, **kwargs: Any) -> CodexFailure:
    """Run one request that must fail; return the failure (from entry or from iteration)."""
    events: list[ResponseEvent] = []
    with pytest.raises(CodexFailure) as caught:
        async with wire.client.stream(
            access_token=token, account_id=account_id, body=request_body(), **kwargs
        ) as stream:
            async for event in stream:
                events.append(event)
    return caught.value


async def eventually(predicate: Callable[[], bool]) -> None:
    """Bounded wait for something the emulator records on its own time (no hook to await)."""
    step = 0.02
    for _ in range(int(WAIT_LIMIT / step)):
        if predicate():
            return
        await asyncio.sleep(step)
    raise AssertionError(f"not true within {WAIT_LIMIT} s")


# ---- success --------------------------------------------------------------------------


async def test_streams_a_response_with_text_usage_headers_and_request_id(wire: Wire) -> None:
    account_id, token = wire.account(five_hour_used=12.0, weekly_used=30.0)
    async with wire.client.stream(
        access_token=token, account_id=account_id, body=request_body(), session_id="sess-42"
    ) as stream:
        events = await collect(stream)

    types = [e.type for e in events]
    assert types[0] == "response.created"
    assert types[-1] == "response.completed"
    assert types.index("response.content_part.added") < types.index("response.output_text.delta")
    text = "".join(e.delta for e in events if e.delta is not None)
    assert text
    assert stream.completed is not None
    assert stream.completed.status == "completed"
    assert stream.completed.id == events[0].data["response"]["id"]
    assert stream.completed.usage is not None and stream.completed.usage.output_tokens > 0
    assert stream.request_id is not None and stream.request_id.startswith("req_")

    assert stream.usage is not None
    assert stream.usage.source == "headers"
    assert stream.usage.plan_type == "plus"
    assert stream.usage.five_hour is not None and stream.usage.five_hour.window_seconds == 18000
    assert stream.usage.five_hour.used_percent == pytest.approx(12.0)
    assert stream.usage.weekly is not None and stream.usage.weekly.window_seconds == 604800
    assert stream.usage.weekly.used_percent == pytest.approx(30.0)


async def test_request_carries_the_codex_headers_and_the_body_as_given(wire: Wire) -> None:
    account_id, token = wire.account()
    async with wire.client.stream(
        access_token=token,
        account_id=account_id,
        body=request_body(),
        session_id="sess-42",
        extra_headers={"x-codex-turn-state": "ts-1", "version": "0.169.0"},
    ) as stream:
        await collect(stream)

    (record,) = wire.responses(account_id)
    headers = record.headers
    assert headers["chatgpt-account-id"] == account_id
    assert headers["authorization"] == "REDACTED"
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "text/event-stream"
    assert headers["originator"] == "codex_cli_rs"
    assert headers["user-agent"].startswith("codex_cli_rs/")
    assert headers["session_id"] == headers["session-id"] == "sess-42"
    assert headers["x-codex-turn-state"] == "ts-1"
    assert headers["version"] == "0.169.0"
    assert record.body == request_body()
    assert record.session_id == "sess-42"


async def test_weekly_only_plan_reports_only_a_weekly_window(wire: Wire) -> None:
    account_id, token = wire.account(plan="pro", layout="weekly", weekly_used=25.0)
    async with wire.client.stream(
        access_token=token, account_id=account_id, body=request_body()
    ) as stream:
        await collect(stream)
    assert stream.usage is not None
    assert stream.usage.five_hour is None
    assert stream.usage.weekly is not None and stream.usage.weekly.window_seconds == 604800

    snapshot = await wire.client.fetch_usage(access_token=token, account_id=account_id)
    assert snapshot.five_hour is None
    assert snapshot.weekly is not None and snapshot.weekly.used_percent >= 25.0


async def test_incomplete_response_ends_normally_with_its_status(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(account_id, [{"kind": "incomplete", "reason": "max_output_tokens"}])
    async with wire.client.stream(
        access_token=token, account_id=account_id, body=request_body()
    ) as stream:
        events = await collect(stream)
    assert events[-1].type == "response.incomplete"
    assert stream.completed is not None
    assert stream.completed.status == "incomplete"
    assert stream.completed.incomplete_details == {"reason": "max_output_tokens"}


# ---- usage and models -----------------------------------------------------------------


async def test_fetch_usage_reads_wham_usage(wire: Wire) -> None:
    account_id, token = wire.account(five_hour_used=40.0, weekly_used=10.0)
    snapshot = await wire.client.fetch_usage(access_token=token, account_id=account_id)
    assert snapshot.source == "endpoint"
    assert snapshot.plan_type == "plus"
    assert snapshot.five_hour is not None and snapshot.five_hour.used_percent == 40
    assert snapshot.weekly is not None and snapshot.weekly.used_percent == 10
    assert snapshot.five_hour.resets_at is not None and snapshot.five_hour.resets_at > 0
    assert snapshot.limit_reached is False
    (record,) = wire.emu.requests_to("/backend-api/wham/usage", account_id)
    assert record.headers["chatgpt-account-id"] == account_id
    assert record.headers["accept"] == "application/json"


async def test_usage_from_headers_and_endpoint_agree_after_a_response(wire: Wire) -> None:
    account_id, token = wire.account(five_hour_used=50.0, weekly_used=20.0)
    wire.emu.set_usage(account_id, five_hour_used=100.0)
    snapshot = await wire.client.fetch_usage(access_token=token, account_id=account_id)
    failure = await stream_failure(wire, account_id, token)
    assert failure.usage is not None and snapshot.five_hour is not None
    assert failure.usage.five_hour is not None
    assert failure.usage.five_hour.used_percent == snapshot.five_hour.used_percent == 100
    assert snapshot.limit_reached is True


async def test_fetch_usage_failures_are_classified(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_usage_faults(account_id, [{"kind": "status", "status": 503}])
    with pytest.raises(CodexFailure) as unavailable:
        await wire.client.fetch_usage(access_token=token, account_id=account_id)
    assert unavailable.value.kind is FailureKind.TRANSIENT
    assert unavailable.value.status == 503

    wire.emu.expire_access_tokens(account_id)
    with pytest.raises(CodexFailure) as expired:
        await wire.client.fetch_usage(access_token=token, account_id=account_id)
    assert expired.value.kind is FailureKind.AUTH_EXPIRED


async def test_fetch_usage_times_out_as_transient(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_usage_faults(account_id, [{"kind": "latency", "seconds": 30.0}])
    with pytest.raises(CodexFailure) as caught:
        await wire.client.fetch_usage(access_token=token, account_id=account_id, timeout=0.3)
    assert caught.value.kind is FailureKind.TRANSIENT


async def test_fetch_models_lists_the_catalog_and_revalidates_by_etag(wire: Wire) -> None:
    account_id, token = wire.account()
    models = await wire.client.fetch_models(access_token=token, account_id=account_id)
    slugs = [m.slug for m in models]
    assert "gpt-5.5" in slugs
    assert all(m.display_name for m in models)
    catalog = await wire.client.fetch_model_catalog(access_token=token, account_id=account_id)
    assert catalog is not None and catalog.etag
    again = await wire.client.fetch_model_catalog(
        access_token=token, account_id=account_id, etag=catalog.etag
    )
    assert again is None
    (first, *_) = wire.emu.requests_to("/backend-api/codex/models", account_id)
    assert "client_version=" in first.query


# ---- HTTP failures --------------------------------------------------------------------


async def test_quota_exhausted_429_carries_reset_and_usage(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.set_usage(account_id, five_hour_used=100.0)
    failure = await stream_failure(wire, account_id, token)
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.status == 429
    assert failure.code == "usage_limit_reached"
    assert failure.resets_at is not None and failure.resets_at > wire.emu.now()
    assert failure.usage is not None and failure.usage.limit_reached
    assert failure.request_id is not None
    assert wire.emu.counters(account_id)["responses_429"] == 1


async def test_stale_usage_429_is_quota_even_though_usage_has_room(wire: Wire) -> None:
    account_id, token = wire.account(five_hour_used=10.0)
    wire.emu.script_faults(account_id, [{"kind": "stale_usage"}])
    failure = await stream_failure(wire, account_id, token)
    assert failure.kind is FailureKind.QUOTA_EXHAUSTED
    assert failure.resets_at is not None and failure.resets_at > wire.emu.now()


async def test_throttle_429_is_rate_limited_with_retry_after(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(account_id, [{"kind": "throttle", "retry_after_seconds": 2.0}])
    failure = await stream_failure(wire, account_id, token)
    assert failure.kind is FailureKind.RATE_LIMITED
    assert failure.retry_after == 2.0


async def test_expired_access_token_is_auth_expired(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.expire_access_tokens(account_id)
    failure = await stream_failure(wire, account_id, token)
    assert failure.kind is FailureKind.AUTH_EXPIRED
    assert failure.status == 401
    assert failure.code == "token_expired"
    assert token not in str(failure) and token not in repr(failure)


async def test_garbage_token_is_auth_expired(wire: Wire) -> None:
    account_id, _ = wire.account()
    failure = await stream_failure(wire, account_id, "not-a-jwt")
    assert failure.kind is FailureKind.AUTH_EXPIRED
    assert failure.status == 401


async def test_deactivated_account_and_revoked_token_need_reauth(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.deactivate(account_id)
    deactivated = await stream_failure(wire, account_id, token)
    assert deactivated.kind is FailureKind.NEEDS_REAUTH
    assert deactivated.code == "account_deactivated"

    other_id, other_token = wire.account()
    wire.emu.revoke_access_tokens(other_id)
    revoked = await stream_failure(wire, other_id, other_token)
    assert revoked.kind is FailureKind.NEEDS_REAUTH
    assert revoked.code == "token_revoked"


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_server_errors_are_transient(wire: Wire, status: int) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(account_id, [{"kind": "status", "status": status}])
    failure = await stream_failure(wire, account_id, token)
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.status == status
    assert f"HTTP {status}" in failure.message


async def test_overloaded_503_is_transient(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(account_id, [{"kind": "overloaded"}])
    failure = await stream_failure(wire, account_id, token)
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.status == 503
    assert failure.code == "server_is_overloaded"
    assert "capacity" in failure.message


async def test_invalid_body_is_a_bad_request(wire: Wire) -> None:
    account_id, token = wire.account()
    with pytest.raises(CodexFailure) as caught:
        async with wire.client.stream(
            access_token=token, account_id=account_id, body=request_body(store=True)
        ):
            pytest.fail("a 400 must raise on entry")
    assert caught.value.kind is FailureKind.BAD_REQUEST
    assert caught.value.status == 400
    assert "Store must be set to false" in caught.value.message


async def test_a_model_the_plan_lacks_is_gated_for_that_model(wire: Wire) -> None:
    account_id, token = wire.account(plan="plus")
    with pytest.raises(CodexFailure) as caught:
        async with wire.client.stream(
            access_token=token,
            account_id=account_id,
            body=request_body(model="gpt-5.3-codex-spark"),
        ):
            pytest.fail("a 400 must raise on entry")
    assert caught.value.kind is FailureKind.MODEL_GATED
    assert caught.value.gate == "plan"
    assert caught.value.model == "gpt-5.3-codex-spark"
    assert "not supported" in caught.value.message


async def test_nothing_listening_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = CodexClient(Endpoints(backend_url=f"http://127.0.0.1:{port}/backend-api"))
    try:
        with pytest.raises(CodexFailure) as caught:
            async with client.stream(access_token="t", account_id="a", body=request_body()):
                pytest.fail("nothing listens there")
        assert caught.value.kind is FailureKind.TRANSIENT
        with pytest.raises(CodexFailure) as usage:
            await client.fetch_usage(access_token="t", account_id="a")
        assert usage.value.kind is FailureKind.TRANSIENT
    finally:
        await client.aclose()


# ---- in-stream failures ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("rate_limit_exceeded", FailureKind.RATE_LIMITED),
        ("context_length_exceeded", FailureKind.BAD_REQUEST),
        ("insufficient_quota", FailureKind.QUOTA_EXHAUSTED),
        ("server_error", FailureKind.TRANSIENT),
    ],
)
async def test_response_failed_in_stream(wire: Wire, code: str, kind: FailureKind) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(account_id, [{"kind": "failed_in_stream", "code": code}])
    failure = await stream_failure(wire, account_id, token)
    assert failure.kind is kind
    assert failure.code == code
    assert failure.status is None
    if kind is FailureKind.RATE_LIMITED:
        assert failure.retry_after == pytest.approx(1.5)


async def test_error_event_in_stream_is_transient(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(account_id, [{"kind": "error_event", "code": "server_error"}])
    async with wire.client.stream(
        access_token=token, account_id=account_id, body=request_body()
    ) as stream:
        seen: list[str] = []
        with pytest.raises(CodexFailure) as caught:
            async for event in stream:
                seen.append(event.type)
    assert seen == ["response.created"]
    assert caught.value.kind is FailureKind.TRANSIENT
    assert stream.failure is caught.value
    assert stream.completed is None


async def test_connection_reset_mid_stream_is_transient(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(
        account_id, [{"kind": "drop_mid_stream", "after_deltas": 3, "mode": "reset"}]
    )
    deltas = 0
    with pytest.raises(CodexFailure) as caught:
        async with wire.client.stream(
            access_token=token, account_id=account_id, body=request_body()
        ) as stream:
            async for event in stream:
                deltas += event.delta is not None
    assert caught.value.kind is FailureKind.TRANSIENT
    assert deltas == 3


async def test_clean_eof_without_terminal_event_is_transient(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(
        account_id, [{"kind": "drop_mid_stream", "after_deltas": 2, "mode": "eof"}]
    )
    failure = await stream_failure(wire, account_id, token)
    assert failure.kind is FailureKind.TRANSIENT
    assert failure.message == STREAM_CLOSED_EARLY


async def test_idle_stream_times_out_and_the_server_sees_the_disconnect(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(account_id, [{"kind": "stall", "after_deltas": 2, "seconds": 60.0}])
    failure = await stream_failure(wire, account_id, token, idle_timeout=0.3)
    assert isinstance(failure, StreamStalled)
    assert failure.kind is FailureKind.TRANSIENT
    assert (failure.started, failure.seconds) == (True, 0.3)
    assert failure.message == "the backend sent nothing for 0.3 s mid-stream"
    await eventually(lambda: wire.responses(account_id)[0].client_disconnected)
    await eventually(lambda: wire.emu.counters(account_id)["client_disconnects"] == 1)


async def test_a_silent_start_has_its_own_limit_and_the_connection_is_closed(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(
        account_id, [{"kind": "stall", "before_first_event": True, "seconds": 60.0}]
    )
    failure = await stream_failure(
        wire, account_id, token, first_bytes_timeout=0.3, idle_timeout=60.0
    )
    assert isinstance(failure, StreamStalled)
    assert (failure.started, failure.seconds) == (False, 0.3)
    assert failure.message == "no answer from the backend within 0.3 s"
    await eventually(lambda: wire.responses(account_id)[0].client_disconnected)
    assert wire.responses(account_id)[0].deltas_sent == 0


async def test_headers_that_do_not_come_in_time_are_a_silent_start(wire: Wire) -> None:
    account_id, token = wire.account()
    wire.emu.script_faults(account_id, [{"kind": "latency", "seconds": 60.0}])
    failure = await stream_failure(
        wire, account_id, token, first_bytes_timeout=0.3, idle_timeout=60.0
    )
    assert isinstance(failure, StreamStalled)
    assert (failure.started, failure.kind) == (False, FailureKind.TRANSIENT)


# ---- leaving early --------------------------------------------------------------------


async def test_break_closes_the_connection_at_once(wire: Wire) -> None:
    account_id, token = wire.account(response_deltas=5000)
    wire.emu.update_settings(tokens_per_second=200.0)
    async with wire.client.stream(
        access_token=token, account_id=account_id, body=request_body()
    ) as stream:
        async for event in stream:
            if event.delta is not None:
                break
    await eventually(lambda: wire.responses(account_id)[0].client_disconnected)
    record = wire.responses(account_id)[0]
    assert record.terminal_event is None
    assert record.deltas_sent < 5000
    assert wire.emu.counters(account_id)["client_disconnects"] == 1


async def test_cancellation_propagates_and_closes_the_connection(wire: Wire) -> None:
    account_id, token = wire.account(response_deltas=5000)
    wire.emu.update_settings(tokens_per_second=200.0)
    first_delta = asyncio.Event()

    async def consume() -> None:
        async with wire.client.stream(
            access_token=token, account_id=account_id, body=request_body()
        ) as stream:
            async for event in stream:
                if event.delta is not None:
                    first_delta.set()

    task = asyncio.create_task(consume())
    async with asyncio.timeout(WAIT_LIMIT):
        await first_delta.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await eventually(lambda: wire.responses(account_id)[0].client_disconnected)


async def test_an_exception_in_the_consumer_closes_the_connection(wire: Wire) -> None:
    account_id, token = wire.account(response_deltas=5000)
    wire.emu.update_settings(tokens_per_second=200.0)
    with pytest.raises(RuntimeError, match="consumer gave up"):
        async with wire.client.stream(
            access_token=token, account_id=account_id, body=request_body()
        ) as stream:
            async for event in stream:
                if event.delta is not None:
                    raise RuntimeError("consumer gave up")
    await eventually(lambda: wire.responses(account_id)[0].client_disconnected)


async def test_many_deltas_arrive_intact_and_in_order(wire: Wire) -> None:
    account_id, token = wire.account(response_deltas=2000)
    wire.emu.update_settings(tokens_per_second=0.0)
    async with wire.client.stream(
        access_token=token, account_id=account_id, body=request_body()
    ) as stream:
        events = await collect(stream)
    deltas = [e for e in events if e.delta is not None]
    assert len(deltas) == 2000
    sequence = [e.data["sequence_number"] for e in events if "sequence_number" in e.data]
    assert sequence == sorted(sequence)
    done = next(e for e in events if e.type == "response.output_text.done")
    assert "".join(e.delta or "" for e in deltas) == done.data["text"]
    assert json.loads(json.dumps(events[-1].data))["type"] == "response.completed"
