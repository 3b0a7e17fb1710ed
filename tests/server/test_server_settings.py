"""Rotation and footer settings, verify, paths, models and status/get end to end."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from multicodex_emulator import Emulator
from support.rpc_client import RpcError
from support.server_rig import ServerRig, assert_no_tokens, start_server

STATUS = "multicodex/status"


async def test_rotation_get_describes_the_policy_and_every_strategy(server_rig: ServerRig) -> None:
    info = await server_rig.client.request("multicodex/rotation/get")
    assert info["policy"] == {
        "strategy": "default",
        "retry_limit": 5,
        "fallback_cooldown_seconds": 3600,
        "sticky": True,
        "first_output_timeout_seconds": 20.0,
        "stall_timeout_seconds": 120.0,
        "when_exhausted": "wait",
        "reset_credit_confirm": "ask",
    }
    assert [s["name"] for s in info["strategies"]] == ["default", "drain-first", "reset-first"]
    assert len(info["description"]) == 6
    assert "1 hour when unknown" in info["description"][2]
    assert "at most 5 times" in info["description"][2]


async def test_rotation_set_persists_or_stays_in_this_server(server_rig: ServerRig) -> None:
    client = server_rig.client
    persisted = await client.request(
        "multicodex/rotation/set", {"strategy": "drain-first", "retry_limit": 2}
    )
    session = await client.request(
        "multicodex/rotation/set",
        {"sticky": False, "fallback_cooldown_seconds": 90, "persist": False},
    )

    assert persisted["policy"]["strategy"] == "drain-first"
    assert persisted["policy"]["retry_limit"] == 2
    assert session["policy"] == {
        "strategy": "drain-first",
        "retry_limit": 2,
        "fallback_cooldown_seconds": 90,
        "sticky": False,
        "first_output_timeout_seconds": 20.0,
        "stall_timeout_seconds": 120.0,
        "when_exhausted": "wait",
        "reset_credit_confirm": "ask",
    }
    assert "(90 seconds when unknown)" in session["description"][2]
    assert (
        "Current policy: a pinned account first, then the drain-first"
        in (session["description"][0])
    )
    stored = json.loads((Path(server_rig.options["home"]) / "accounts.json").read_text())
    assert stored["settings"]["rotation"] == {
        "strategy": "drain-first",
        "retry_limit": 2,
        "fallback_cooldown_seconds": 3600,
        "sticky": True,
        "first_output_timeout_seconds": 20.0,
        "stall_timeout_seconds": 120.0,
        "when_exhausted": "wait",
        "reset_credit_confirm": "ask",
    }


async def test_rotation_set_rejects_an_unknown_strategy_by_name(server_rig: ServerRig) -> None:
    with pytest.raises(RpcError) as failure:
        await server_rig.client.request("multicodex/rotation/set", {"strategy": "coin-toss"})
    assert failure.value.code == -32602
    assert failure.value.message == (
        "invalid params: strategy must be one of default, drain-first, reset-first"
    )
    assert failure.value.data["errors"][0]["field"] == "strategy"


async def test_footer_preview_set_and_the_status_push_that_follows(server_rig: ServerRig) -> None:
    await server_rig.seed("alice@example.test")
    client = server_rig.client
    await client.notification(STATUS, lambda s: s["footer"]["state"] == "serving")
    before = await client.request("multicodex/footer/get")

    preview = await client.request(
        "multicodex/footer/preview", {"usage_mode": "used", "order": "usage-first"}
    )
    unchanged = await client.request("multicodex/footer/get")
    applied = await client.request(
        "multicodex/footer/set", {"usage_mode": "used", "persist": False}
    )

    assert before["settings"]["usage_mode"] == "left"
    assert before["session_override"] is False
    assert preview["settings"]["order"] == "usage-first"
    assert preview["line"]["text"].startswith("Codex · 5h 0% used")
    assert preview["line"]["text"].endswith("alice@example.test")
    assert unchanged["settings"] == before["settings"]
    assert "% left" in unchanged["line"]["text"]
    assert applied["session_override"] is True
    assert "% used" in applied["line"]["text"]
    assert applied["line"]["text"] == "".join(s["text"] for s in applied["line"]["segments"])
    status = await client.notification(STATUS, lambda s: "% used" in s["footer"]["text"])
    assert status["footer"]["text"].startswith("Codex · alice@example.test · 5h 0% used")
    stored = json.loads((Path(server_rig.options["home"]) / "accounts.json").read_text())
    assert stored["settings"]["footer"]["usage_mode"] == "left"

    persisted = await client.request("multicodex/footer/set", {"usage_mode": "left"})
    assert persisted["session_override"] is False
    stored = json.loads((Path(server_rig.options["home"]) / "accounts.json").read_text())
    assert stored["settings"]["footer"]["usage_mode"] == "left"


async def test_footer_choices_list_every_value_each_setting_takes(server_rig: ServerRig) -> None:
    client = server_rig.client
    footer = await client.request("multicodex/footer/get")
    choices = footer["choices"]

    assert choices == {
        "usage_mode": ["left", "used"],
        "reset_window": ["binding", "5h", "7d", "both"],
        "show_account": [True, False],
        "show_reset": [True, False],
        "order": ["account-first", "usage-first"],
        "compact": [False, True],
    }
    assert set(choices) == set(footer["settings"])
    for field, values in choices.items():
        assert footer["settings"][field] in values
        for value in values:
            applied = await client.request(
                "multicodex/footer/set", {field: value, "persist": False}
            )
            assert applied["settings"][field] == value
            assert applied["choices"] == choices


async def test_footer_options_at_initialize_apply_to_this_server_only(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    async with server_emulator.serve() as base_url:
        rig = await start_server(
            server_emulator, base_url, tmp_path, footer={"usage_mode": "used", "show_reset": False}
        )
        try:
            footer = await rig.client.request("multicodex/footer/get")
        finally:
            assert await rig.client.stop() == 0
    assert footer["settings"]["usage_mode"] == "used"
    assert footer["settings"]["show_reset"] is False
    assert footer["session_override"] is True
    assert_no_tokens(rig)


async def test_verify_and_paths_describe_the_store_and_the_sources(server_rig: ServerRig) -> None:
    await server_rig.seed("alice@example.test")
    home = Path(server_rig.options["home"])

    verify = await server_rig.client.request("multicodex/verify")
    paths = await server_rig.client.request("multicodex/paths")

    checks = {c["name"]: c for c in verify["checks"]}
    assert list(checks) == [
        "store_directory",
        "store_file",
        "store_invalid_parts",
        "store_lock",
        "accounts",
        "active_account",
        "needs_reauth",
        "import_sources",
        "endpoints",
        "auth_server",
        "backend",
    ]
    assert all(c["status"] == "pass" for c in verify["checks"]), verify["checks"]
    assert verify["status"] == "pass"
    assert checks["store_file"]["detail"] == "valid, version 1, mode 0600"
    assert verify["accounts"] == 1
    assert verify["active"]["display_name"] == "alice@example.test"
    assert verify["summary_line"] == (
        "verify: PASS storage=ok accounts=1 active=alice@example.test needsReauth=0"
    )
    assert paths["home"] == str(home)
    assert paths["store_file"] == str(home / "accounts.json")
    assert paths["lock_file"] == str(home / "accounts.json.lock")
    assert paths["auth_url"] == server_rig.base_url
    assert paths["backend_url"] == f"{server_rig.base_url}/backend-api"
    assert stat.S_IMODE((home / "accounts.json").stat().st_mode) == 0o600
    assert [s["kind"] for s in paths["import_sources"]] == ["codex-cli", "pi", "pi-multicodex"]


async def test_verify_warns_without_accounts(server_rig: ServerRig) -> None:
    verify = await server_rig.client.request("multicodex/verify", {})
    assert verify["status"] == "warn"
    assert verify["active"] is None
    warned = [c["name"] for c in verify["checks"] if c["status"] == "warn"]
    assert warned == ["accounts", "active_account"]


async def test_models_come_from_the_backend_then_the_cache(server_rig: ServerRig) -> None:
    client = server_rig.client
    fallback = await client.request("multicodex/models/list", {})
    assert fallback["source"] == "fallback"
    assert fallback["fetched_at"] is None
    assert fallback["default_model"] == fallback["models"][0]["slug"]

    await server_rig.seed("alice@example.test")
    fetched = await client.request("multicodex/models/list", {"refresh": True})
    cached = await client.request("multicodex/models/list", {})
    revalidated = await client.request("multicodex/models/list", {"refresh": True})

    assert fetched["source"] == "backend"
    assert fetched["models"][0]["slug"] == "gpt-6-sol"
    assert all(m["reasoning_efforts"] for m in fetched["models"])
    assert cached["source"] == "cache"
    assert cached["models"] == fetched["models"]
    assert revalidated["source"] == "backend"
    model_requests = server_rig.emu.requests_to("/backend-api/codex/models")
    assert [r.status for r in model_requests] == [200, 304]


async def test_status_get_matches_the_last_push(server_rig: ServerRig) -> None:
    [alice] = await server_rig.seed("alice@example.test")
    pushed = await server_rig.client.notification(
        STATUS, lambda s: s["active"] is not None and s["accounts"][0]["usage"] is not None
    )
    current = await server_rig.client.request("multicodex/status/get")
    assert current["revision"] >= pushed["revision"]
    assert current["active"]["key"] == alice["key"]
    assert current["accounts"][0]["key"] == alice["key"]
    assert current["no_accounts"] is False
    assert current["all_exhausted"] is False
    assert current["earliest_reset"] is None
    assert current["stale"] is False
    revisions = [s["revision"] for s in server_rig.client.notifications(STATUS)]
    assert revisions == sorted(set(revisions)), "each push is a new revision"
