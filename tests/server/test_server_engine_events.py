"""What the client is told comes from what the rotation engine did: the account of every
attempt and why, each retry before its wait, the failure behind a switch, and errors by
the class the Codex client decided."""

from __future__ import annotations

from pathlib import Path

import pytest

from multicodex.store.document import Store
from multicodex_emulator import StatusFault
from support.rpc_client import RpcError
from support.server_rig import ServerRig, deltas_of, ready

COMPLETE = "multicodex/complete"
BLOCK_PAGE = "<html><body>Attention Required! | Cloudflare</body></html>"


async def test_a_block_page_on_every_account_is_the_backend_unavailable(
    server_rig: ServerRig,
) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    for account in (alice, bob):
        server_rig.emu.script_faults(
            account["account_id"], [StatusFault(status=403, body=BLOCK_PAGE)] * 4
        )

    with pytest.raises(RpcError) as failure:
        await server_rig.client.request(
            COMPLETE, {"stream_id": "s-403", "model": "gpt-5.5", "prompt": "x"}
        )

    assert failure.value.code == -32022, failure.value.message  # UPSTREAM_UNAVAILABLE
    [attempt] = failure.value.data["attempts"]
    assert attempt["kind"] == "transient"
    assert attempt["status"] == 403


async def test_a_retry_on_the_same_account_is_announced_before_its_wait(
    server_rig: ServerRig,
) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    server_rig.emu.script_faults(alice["account_id"], [StatusFault(status=503)])

    result = await server_rig.client.request(
        COMPLETE, {"stream_id": "s-503", "model": "gpt-5.5", "prompt": "x"}
    )

    deltas = deltas_of(server_rig.client, "s-503")
    assert [d["kind"] for d in deltas[:3]] == ["start", "notice", "text"]
    start, notice = deltas[0], deltas[1]
    assert start["account"]["key"] == alice["key"]
    assert start["reason"], "the engine says why it chose the account"
    assert notice["account"]["key"] == alice["key"]
    assert notice["text"].startswith("alice@example.test: ")
    assert notice["text"].endswith("; trying again")
    assert result["attempts"] == 2
    assert result["switches"] == []


async def test_a_switch_carries_the_failure_class_that_caused_it(server_rig: ServerRig) -> None:
    alice, bob = await ready(server_rig, "alice@example.test", "bob@example.test")
    server_rig.emu.set_usage(alice["account_id"], five_hour_used=100.0)

    result = await server_rig.client.request(
        COMPLETE, {"stream_id": "s-q", "model": "gpt-5.5", "prompt": "x"}
    )

    [switch] = result["switches"]
    assert switch["failure"] == "quota_exhausted"
    assert result["account"]["key"] == bob["key"]
    assert result["text"] == "".join(
        d["text"] for d in deltas_of(server_rig.client, "s-q") if d["kind"] == "text"
    )


async def test_an_unknown_stored_strategy_still_serves_and_is_named_everywhere(
    server_rig: ServerRig,
) -> None:
    [alice] = await ready(server_rig, "alice@example.test")
    with Store.open(Path(server_rig.options["home"])).transaction() as doc:
        doc.settings.rotation.strategy = "quantum-first"

    result = await server_rig.client.request(
        COMPLETE, {"stream_id": "s-u", "model": "gpt-5.5", "prompt": "x"}
    )
    rotation = await server_rig.client.request("multicodex/rotation/get")
    status = await server_rig.client.request("multicodex/status/get")

    assert result["account"]["key"] == alice["key"]
    assert "the default strategy ('quantum-first' is unknown)" in rotation["description"][0]
    assert status["active"]["key"] == alice["key"]
    said = server_rig.client.stderr().count("'quantum-first' is not known to this version")
    assert said == 1
