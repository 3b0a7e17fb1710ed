"""Compressed answers when asked (`accept-encoding: zstd,gzip`, as Codex CLI 0.171 sends)."""

from __future__ import annotations

import json
import zlib
from typing import Any

import httpx2
import pytest
import zstandard
from emulator_helpers import (
    RESPONSES_PATH,
    TOKEN_PATH,
    USAGE_PATH,
    bearer,
    parse_sse,
    refresh_form,
    responses_body,
    streamed_text,
)

from multicodex_emulator import EmuAccount, Emulator

CLI_0171_ENCODING = "zstd,gzip"


async def raw_answer(
    client: httpx2.AsyncClient,
    method: str,
    path: str,
    accept_encoding: str | None,
    **kwargs: Any,
) -> tuple[httpx2.Response, bytes]:
    """The answer and its body exactly as sent (not decoded by the client)."""
    request = client.build_request(method, path, **kwargs)
    del request.headers["accept-encoding"]
    if accept_encoding is not None:
        request.headers["accept-encoding"] = accept_encoding
    answer = await client.send(request, stream=True)
    try:
        raw = b"".join([chunk async for chunk in answer.aiter_raw()])
    finally:
        await answer.aclose()
    return answer, raw


def unzstd(data: bytes) -> bytes:
    reader = zstandard.ZstdDecompressor().decompressobj()
    return reader.decompress(data)


def gunzip(data: bytes) -> bytes:
    return zlib.decompress(data, wbits=31)


async def test_json_answers_are_zstd_when_the_cli_asks(
    client: httpx2.AsyncClient, emu: Emulator, account: EmuAccount, tokens: dict[str, Any]
) -> None:
    answer, raw = await raw_answer(
        client, "GET", USAGE_PATH, CLI_0171_ENCODING, headers=bearer(tokens)
    )
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "zstd"
    assert "accept-encoding" in answer.headers["vary"].lower()
    assert int(answer.headers["content-length"]) == len(raw)
    assert json.loads(unzstd(raw)) == emu.usage(account.account_id)
    [record] = emu.requests_to(USAGE_PATH)
    assert record.headers["accept-encoding"] == CLI_0171_ENCODING
    assert record.response_encoding == "zstd"


async def test_gzip_when_only_gzip_is_accepted_and_plain_when_nothing_is(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    gzipped, raw = await raw_answer(
        client, "GET", USAGE_PATH, "gzip, zstd;q=0", headers=bearer(tokens)
    )
    assert gzipped.headers["content-encoding"] == "gzip"
    assert json.loads(gunzip(raw))["plan_type"] == "plus"
    plain, raw = await raw_answer(client, "GET", USAGE_PATH, None, headers=bearer(tokens))
    assert "content-encoding" not in plain.headers
    assert json.loads(raw)["plan_type"] == "plus"
    unknown, raw = await raw_answer(client, "GET", USAGE_PATH, "br", headers=bearer(tokens))
    assert "content-encoding" not in unknown.headers
    assert json.loads(raw)["plan_type"] == "plus"


async def test_event_streams_are_compressed_and_decode_to_the_whole_answer(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    answer, raw = await raw_answer(
        client,
        "POST",
        RESPONSES_PATH,
        CLI_0171_ENCODING,
        headers={**bearer(tokens), "version": "0.171.0"},
        json=responses_body(),
    )
    assert answer.status_code == 200
    assert answer.headers["content-encoding"] == "zstd"
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert "content-length" not in answer.headers
    events = parse_sse(unzstd(raw).decode("utf-8"))
    assert events[-1][0] == "response.completed"
    assert streamed_text(events).startswith("Hello from alice@example.test.")
    assert answer.headers["x-codex-primary-used-percent"] == "0"


async def test_the_client_decodes_gzip_streams_too(
    client: httpx2.AsyncClient, tokens: dict[str, Any]
) -> None:
    answer = await client.post(
        RESPONSES_PATH,
        headers={**bearer(tokens), "accept-encoding": "gzip"},
        json=responses_body(),
    )
    assert answer.headers["content-encoding"] == "gzip"
    assert parse_sse(answer.text)[-1][0] == "response.completed"


@pytest.mark.parametrize("method", ["refresh", "models", "accounts_check", "error"])
async def test_every_route_accepts_the_header(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any], method: str
) -> None:
    headers = {**bearer(tokens), "accept-encoding": CLI_0171_ENCODING}
    if method == "refresh":
        answer = await client.post(
            TOKEN_PATH,
            json=refresh_form(tokens["refresh_token"], refresh_reason="proactive_expiry"),
            headers={"accept-encoding": CLI_0171_ENCODING},
        )
        assert answer.json()["access_token"]
    elif method == "models":
        answer = await client.get(
            "/backend-api/codex/models", params={"client_version": "0.171.0"}, headers=headers
        )
        assert answer.json()["models"]
    elif method == "accounts_check":
        answer = await client.get("/backend-api/wham/accounts/check", headers=headers)
        assert answer.json()["accounts"]
    else:
        answer = await client.post(RESPONSES_PATH, headers=headers, json=responses_body(store=True))
        assert answer.status_code == 400
        assert answer.json() == {"detail": "Store must be set to false"}
    assert answer.headers["content-encoding"] == "zstd"


async def test_a_setting_turns_compression_off(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    emu.update_settings(compress_responses=False)
    answer, raw = await raw_answer(
        client, "GET", USAGE_PATH, CLI_0171_ENCODING, headers=bearer(tokens)
    )
    assert "content-encoding" not in answer.headers
    assert json.loads(raw)["plan_type"] == "plus"
    settings = await client.post("/_emu/settings", json={"compress_responses": True})
    assert settings.json()["compress_responses"] is True
    again, _ = await raw_answer(
        client, "GET", USAGE_PATH, CLI_0171_ENCODING, headers=bearer(tokens)
    )
    assert again.headers["content-encoding"] == "zstd"


async def test_the_0171_tooling_state_probe_is_a_logged_404(
    client: httpx2.AsyncClient, emu: Emulator, tokens: dict[str, Any]
) -> None:
    path = "/backend-api/ps/plugins/tooling-state/turtle"
    answer = await client.get(
        path,
        headers={**bearer(tokens), "oai-product-sku": "codex", "accept-encoding": "zstd,gzip"},
    )
    assert (answer.status_code, answer.json()) == (404, {"detail": "Not Found"})
    [record] = emu.requests_to(path)
    assert record.status == 404
    assert record.headers["oai-product-sku"] == "codex"
