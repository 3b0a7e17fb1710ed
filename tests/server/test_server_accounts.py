"""The multicodex/accounts/* methods end to end: import, list, use, refresh, remove,
label and reset, with the status pushes that follow them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from support.rpc_client import RpcError
from support.server_rig import ServerRig, write_codex_auth

STATUS = "multicodex/status"


async def make_needs_reauth(rig: ServerRig, info: dict[str, Any]) -> dict[str, Any]:
    """Kill the account's credentials at the emulator; a forced refresh then finds out."""
    rig.emu.revoke_access_tokens(info["account_id"])
    rig.emu.revoke_refresh_tokens(info["account_id"])
    return dict(await rig.client.request("multicodex/accounts/refresh", {"key": info["key"]}))


async def exhaust(rig: ServerRig, info: dict[str, Any], stream_id: str) -> dict[str, Any]:
    """Put the account on cooldown the way it happens for real: a 429 during a request."""
    rig.emu.set_usage(info["account_id"], five_hour_used=100.0)
    return dict(
        await rig.client.request(
            "multicodex/complete", {"stream_id": stream_id, "model": "gpt-5.5", "prompt": "hi"}
        )
    )


async def test_imported_accounts_are_listed_and_the_status_shows_the_active_one(
    server_rig: ServerRig,
) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    listing = await server_rig.client.request("multicodex/accounts/list", {"refresh_stale": True})
    assert [a["email"] for a in listing["accounts"]] == ["alice@example.test", "bob@example.test"]
    assert listing["no_accounts"] is False
    assert listing["needs_reauth_count"] == 0
    assert listing["pinned_key"] is None
    assert listing["active"]["key"] == alice["key"]
    for account in listing["accounts"]:
        assert account["usage"] is not None, "refresh_stale fetched every stale account"
        assert account["status_line"].endswith(" - " + account["usage_line"])
        assert account["source"]["kind"] == "codex-cli"
        assert "linked" in account["tags"]
    status = await server_rig.client.notification(
        STATUS, lambda s: s["active"] is not None and s["footer"]["state"] == "serving"
    )
    assert status["active"]["key"] == alice["key"]
    assert status["footer"]["text"].startswith("Codex · alice@example.test · 5h ")
    assert [r["key"] for r in status["needs_reauth"]] == []
    assert bob["key"] in [a["key"] for a in status["accounts"]]


async def test_import_says_added_updated_unchanged_and_missing(server_rig: ServerRig) -> None:
    account = server_rig.emu.add_account(email="carol@example.test")
    path = server_rig.root / "codex" / "auth.json"
    write_codex_auth(path, server_rig.tokens_for(account), account.account_id)
    missing = server_rig.root / "nowhere" / "auth.json"
    sources = [{"kind": "codex-cli", "path": str(path)}, {"kind": "pi", "path": str(missing)}]
    client = server_rig.client

    first = await client.request("multicodex/accounts/import", {"sources": sources})
    again = await client.request("multicodex/accounts/import", {"sources": sources[:1]})
    write_codex_auth(path, server_rig.tokens_for(account), account.account_id)
    newer = await client.request(
        "multicodex/accounts/import", {"sources": sources[:1], "link": False}
    )

    assert first["added_count"] == 1
    assert [r["display_name"] for r in first["sources"][0]["added"]] == ["carol@example.test"]
    assert first["sources"][1] == {
        "kind": "pi",
        "path": str(missing),
        "found": False,
        "added": [],
        "updated": [],
        "unchanged": [],
        "kept": [],
        "error": f"no such file: {missing}",  # named, so its absence is an error
    }
    assert len(again["sources"][0]["unchanged"]) == 1
    assert again["added_count"] == again["updated_count"] == 0
    assert newer["updated_count"] == 1
    listing = await client.request("multicodex/accounts/list", {})
    assert listing["accounts"][0]["source"]["linked"] is False


async def test_import_from_the_default_locations_of_the_environment(
    server_rig: ServerRig,
) -> None:
    account = server_rig.emu.add_account(email="dave@example.test")
    codex_home = server_rig.root / "user" / ".codex"
    write_codex_auth(codex_home / "auth.json", server_rig.tokens_for(account), account.account_id)

    paths = await server_rig.client.request("multicodex/paths", {})
    result = await server_rig.client.request("multicodex/accounts/import", {})

    codex_source = next(s for s in paths["import_sources"] if s["kind"] == "codex-cli")
    assert codex_source == {
        "kind": "codex-cli",
        "path": str(codex_home / "auth.json"),
        "exists": True,
        "note": "1 ChatGPT account: dave@example.test",
    }
    assert [s["kind"] for s in result["sources"]] == ["codex-cli", "pi", "pi-multicodex"]
    assert result["added_count"] == 1
    assert [s["found"] for s in result["sources"]] == [True, False, False]


async def test_import_fails_only_when_nothing_came_in_and_a_source_failed(
    server_rig: ServerRig,
) -> None:
    path = server_rig.root / "apikey" / "auth.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"OPENAI_API_KEY": "sk-test", "auth_mode": "apikey"}))

    with pytest.raises(RpcError) as failure:
        await server_rig.client.request(
            "multicodex/accounts/import", {"sources": [{"kind": "codex-cli", "path": str(path)}]}
        )

    assert failure.value.code == -32060
    assert "API key" in failure.value.message
    [source] = failure.value.data["sources"]
    assert source["found"] is True
    assert "API key" in source["error"]


async def test_use_pins_clears_the_cooldown_and_the_status_follows(server_rig: ServerRig) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    result = await exhaust(server_rig, alice, "s-exhaust")
    assert result["account"]["key"] == bob["key"]
    server_rig.emu.set_usage(alice["account_id"], five_hour_used=10.0)

    used = await server_rig.client.request("multicodex/accounts/use", {"key": alice["key"]})

    assert used["active"] == {
        "key": alice["key"],
        "display_name": "alice@example.test",
        "reason": "pinned by you",
        "rule": "pinned",
        "strategy": "default",
        "pinned": True,
    }
    # Its usage, as last seen, still shows the 5h window at 100 %: active, at its limit.
    assert used["account"]["state"] == "at_limit"
    assert used["account"]["is_active"] is True
    assert used["account"]["cooldown_until"] is None
    assert used["account"]["tags"][:2] == ["active", "manual"]
    status = await server_rig.client.notification(
        STATUS, lambda s: s["active"] is not None and s["active"]["pinned"]
    )
    assert status["active"]["key"] == alice["key"]


async def test_use_of_an_unknown_or_dead_account_fails_with_its_code(
    server_rig: ServerRig,
) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    with pytest.raises(RpcError) as unknown:
        await server_rig.client.request("multicodex/accounts/use", {"key": "eve|acct-eve"})
    assert unknown.value.code == -32030
    assert unknown.value.data == {"key": "eve|acct-eve", "known_keys": [alice["key"], bob["key"]]}

    refreshed = await make_needs_reauth(server_rig, alice)
    assert refreshed["needs_reauth"] == 1
    with pytest.raises(RpcError) as dead:
        await server_rig.client.request("multicodex/accounts/use", {"key": alice["key"]})

    assert dead.value.code == -32031
    assert dead.value.data["account"] == {"key": alice["key"], "display_name": "alice@example.test"}
    listing = await server_rig.client.request("multicodex/accounts/list", {})
    assert listing["pinned_key"] is None
    assert listing["accounts"][0]["state"] == "needs_reauth"
    status = await server_rig.client.notification(STATUS, lambda s: bool(s["needs_reauth"]))
    assert [r["key"] for r in status["needs_reauth"]] == [alice["key"]]


async def test_refresh_one_and_all_report_failures_per_account(server_rig: ServerRig) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    server_rig.emu.set_usage(bob["account_id"], five_hour_used=42.0)

    one = await server_rig.client.request("multicodex/accounts/refresh", {"key": bob["key"]})
    assert (one["refreshed"], one["failed"], one["errors"]) == (1, 0, [])
    assert [a["key"] for a in one["accounts"]] == [bob["key"]]
    assert one["accounts"][0]["usage"]["five_hour"]["used_percent"] == 42.0

    await make_needs_reauth(server_rig, alice)
    everyone = await server_rig.client.request("multicodex/accounts/refresh", {"key": None})
    assert (everyone["refreshed"], everyone["failed"], everyone["needs_reauth"]) == (1, 1, 1)
    assert everyone["errors"][0]["account"]["key"] == alice["key"]
    assert "needs re-authentication" in everyone["errors"][0]["message"]
    assert everyone["summary"] == "refreshed 1 of 2 accounts; 1 needs a new login"

    with pytest.raises(RpcError) as unknown:
        await server_rig.client.request("multicodex/accounts/refresh", {"key": "nobody|x"})
    assert unknown.value.code == -32030


async def test_remove_clears_the_pin_and_another_account_becomes_active(
    server_rig: ServerRig,
) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    await server_rig.client.request("multicodex/accounts/use", {"key": bob["key"]})

    removed = await server_rig.client.request("multicodex/accounts/remove", {"key": bob["key"]})

    assert removed["removed"] == {"key": bob["key"], "display_name": "bob@example.test"}
    assert removed["was_active"] is True
    assert removed["was_pinned"] is True
    assert removed["active"]["key"] == alice["key"]
    status = await server_rig.client.notification(STATUS, lambda s: len(s["accounts"]) == 1)
    assert status["active"]["key"] == alice["key"]
    assert (server_rig.root / "sources" / bob["account_id"] / "auth.json").exists()
    with pytest.raises(RpcError) as again:
        await server_rig.client.request("multicodex/accounts/remove", {"key": bob["key"]})
    assert again.value.code == -32030


async def test_label_renames_and_clears(server_rig: ServerRig) -> None:
    [alice] = await server_rig.seed("alice@example.test")
    client = server_rig.client

    named = await client.request(
        "multicodex/accounts/label", {"key": alice["key"], "label": "  Alice (work) "}
    )
    assert named["account"]["display_name"] == "Alice (work)"
    assert named["account"]["label"] == "Alice (work)"
    assert named["account"]["key"] == alice["key"]
    assert named["account"]["status_line"].startswith("Alice (work) (")
    await client.notification(
        STATUS, lambda s: s["active"] is not None and s["active"]["display_name"] == "Alice (work)"
    )

    cleared = await client.request("multicodex/accounts/label", {"key": alice["key"], "label": ""})
    assert cleared["account"]["display_name"] == "alice@example.test"
    assert cleared["account"]["label"] is None


async def test_reset_clears_the_pin_and_the_cooldowns(server_rig: ServerRig) -> None:
    alice, bob = await server_rig.seed("alice@example.test", "bob@example.test")
    await exhaust(server_rig, alice, "s-reset")
    await server_rig.client.request("multicodex/accounts/use", {"key": bob["key"]})

    manual = await server_rig.client.request("multicodex/accounts/reset", {"target": "manual"})
    everything = await server_rig.client.request("multicodex/accounts/reset", {})

    assert manual == {
        "target": "manual",
        "manual_cleared": True,
        "quota_cleared": 0,
        "summary": "reset: target=manual manualCleared=yes quotaCleared=0",
    }
    assert everything["target"] == "all"
    assert everything["manual_cleared"] is False
    assert everything["quota_cleared"] == 1
    listing = await server_rig.client.request("multicodex/accounts/list", {})
    assert all(a["state"] != "cooldown" for a in listing["accounts"])
    assert listing["pinned_key"] is None


async def test_the_status_shows_every_accounts_usage_without_being_asked(
    server_rig: ServerRig,
) -> None:
    """After an import the server fetches usage for every account on its own, so the
    footer's tooltip and the picker show where each one stands, not just the active one."""
    infos = await server_rig.seed("alice@example.test", "bob@example.test", "carol@example.test")

    status = await server_rig.client.notification(
        STATUS,
        lambda s: len(s["accounts"]) == 3 and all(a["usage"] is not None for a in s["accounts"]),
    )

    assert len(status["accounts"]) == 3
    for info in infos:
        assert server_rig.emu.counters(info["account_id"])["usage_fetches"] == 1
