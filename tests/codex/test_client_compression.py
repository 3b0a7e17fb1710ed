"""CodexClient asks for zstd,gzip like the Codex CLI 0.171 and decodes what the emulator
answers compressed: usage bodies and event streams, zstd and gzip, over real sockets."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from multicodex.codex.client import CodexClient, ResponseStream
from multicodex.config import Endpoints
from multicodex.model.quota import SPARK_BUCKET
from multicodex_emulator import Emulator

USAGE_PATH = "/backend-api/wham/usage"
RESPONSES_PATH = "/backend-api/codex/responses"
SPARK = "gpt-5.3-codex-spark"


@pytest.fixture
async def served() -> AsyncIterator[tuple[Emulator, CodexClient]]:
    emu = Emulator(tokens_per_second=5000.0)
    async with emu.serve() as base_url:
        client = CodexClient(Endpoints(auth_url=base_url, backend_url=f"{base_url}/backend-api"))
        try:
            yield emu, client
        finally:
            await client.aclose()


def pro_account(emu: Emulator) -> tuple[str, str]:
    created = emu.add_account(email="pat@example.test", plan="pro")
    emu.set_usage(created.account_id, weekly_used=20, spark_five_hour_used=40)
    return created.account_id, str(emu.issue_tokens(created.account_id)["access_token"])


def body(model: str) -> dict[str, Any]:
    return {
        "model": model,
        "instructions": "You are a helpful assistant.",
        "input": [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}
        ],
        "store": False,
        "stream": True,
    }


async def text_of(stream: ResponseStream) -> str:
    return "".join([event.delta async for event in stream if event.delta is not None])


async def test_a_compressed_usage_body_is_decoded(
    served: tuple[Emulator, CodexClient],
) -> None:
    emu, client = served
    account_id, token = pro_account(emu)

    snapshot = await client.fetch_usage(access_token=token, account_id=account_id)

    [request] = emu.requests_to(USAGE_PATH, account_id)
    assert request.headers["accept-encoding"] == "zstd,gzip"
    assert snapshot.weekly is not None and snapshot.weekly.used_percent == 20
    spark = snapshot.buckets[SPARK_BUCKET]
    assert spark.five_hour is not None and spark.five_hour.used_percent == 40


async def test_a_zstd_event_stream_is_decoded_and_its_headers_read_with_the_model(
    served: tuple[Emulator, CodexClient],
) -> None:
    emu, client = served
    account_id, token = pro_account(emu)

    async with client.stream(access_token=token, account_id=account_id, body=body(SPARK)) as s:
        assert s.headers["content-encoding"] == "zstd"
        text = await text_of(s)

    assert text.startswith("Hello from pat@example.test")
    assert s.completed is not None and s.completed.status == "completed"
    [request] = emu.requests_to(RESPONSES_PATH, account_id)
    assert request.headers["accept-encoding"] == "zstd,gzip"
    assert s.usage is not None
    assert s.usage.five_hour is None and s.usage.weekly is None
    spark = s.usage.buckets[SPARK_BUCKET]
    assert spark.five_hour is not None and spark.five_hour.used_percent == 40


async def test_a_gzip_event_stream_is_decoded(served: tuple[Emulator, CodexClient]) -> None:
    emu, client = served
    account_id, token = pro_account(emu)

    async with client.stream(
        access_token=token,
        account_id=account_id,
        body=body("gpt-5.5"),
        extra_headers={"Accept-Encoding": "gzip"},
    ) as s:
        assert s.headers["content-encoding"] == "gzip"
        text = await text_of(s)

    assert text.startswith("Hello from pat@example.test")
    assert s.usage is not None and s.usage.weekly is not None
    assert s.usage.weekly.used_percent == 20
    assert s.usage.buckets == {}
