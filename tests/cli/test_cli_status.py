"""`multicodex status` is the footer: in every state of the pool it prints exactly the text
a running server gives the editor, and its exit code says whether an account can serve.
Every view names its windows and follows the user's usage_mode; the countdown is the
binding window's; the compact footer fits a narrow status bar."""

from __future__ import annotations

import asyncio
from typing import Any

from cli_rig import CliResult, CliRig

from multicodex.store.document import Store
from support.server_rig import ServerRig, assert_no_tokens, start_server

HOUR = 3600.0


async def serve_same_store(cli: CliRig) -> ServerRig:
    """An editor's server on the command line's store."""
    return await start_server(cli.emu, cli.base_url, cli.root, home=str(cli.home))


async def stop(rig: ServerRig) -> None:
    code = await rig.client.stop()
    assert code == 0, rig.client.stderr()[-3000:]
    assert_no_tokens(rig)


async def server_status(rig: ServerRig) -> dict[str, Any]:
    return dict(await rig.client.request("multicodex/status/get", {}))


async def status_beside_the_server(
    cli: CliRig, rig: ServerRig, *args: str
) -> tuple[CliResult, dict[str, Any], set[str]]:
    """`multicodex status`, and the server's footer just before and just after it (a
    countdown may tick over in between: the command's text is one of the two)."""
    before = await server_status(rig)
    result = await asyncio.to_thread(cli.run, "status", "--cached", *args)
    after = await server_status(rig)
    return result, after, {before["footer"]["text"], after["footer"]["text"]}


def needs_reauth(cli: CliRig, *emails: str) -> None:
    with Store.open(cli.home).transaction() as doc:
        for account in doc.accounts:
            if account.email in emails:
                account.needs_reauth = True


async def test_status_prints_the_servers_footer_in_every_state_with_its_exit_code(
    cli: CliRig,
) -> None:
    rig = await serve_same_store(cli)
    try:
        empty, status, footers = await status_beside_the_server(cli, rig)
        assert (empty.code, empty.stdout.rstrip("\n")) == (5, status["footer"]["text"])
        assert empty.stdout == "Codex · no accounts · add one (multicodex login)\n"
        assert status["footer"]["state"] == "no_accounts"

        now = cli.emu.now()
        alice = cli.seed("alice", five_hour_used=20, weekly_used=10)
        bob = cli.seed("bob", five_hour_used=100, weekly_used=10)
        cli.emu.set_usage(alice.account_id, five_hour_resets_at=now + 3 * HOUR)
        cli.emu.set_usage(bob.account_id, five_hour_resets_at=now + 2 * HOUR)
        assert cli.run("refresh", "--all").code == 0
        serving, status, footers = await status_beside_the_server(cli, rig)
        assert serving.code == 0
        assert serving.stdout.rstrip("\n") in footers
        assert serving.stdout.startswith("Codex · alice@example.test · 5h 80% left ↺")
        assert serving.stdout.rstrip("\n").endswith(" · weekly 90% left")

        # alice's 5h window runs out too; no 429 put anyone on cooldown yet.
        cli.emu.set_usage(alice.account_id, five_hour_used=100)
        assert cli.run("refresh", "--all").code == 0
        exhausted, status, footers = await status_beside_the_server(cli, rig)
        assert exhausted.code == 5
        assert exhausted.stdout.rstrip("\n") in footers
        assert exhausted.stdout.startswith("Codex · all accounts exhausted · next reset in ")
        assert status["footer"]["state"] == "exhausted"
        assert status["all_exhausted"] is True
        bob_resets = status["accounts"][1]["usage"]["five_hour"]["resets_at"]
        assert status["earliest_reset"] == bob_resets
        as_json = await asyncio.to_thread(cli.run, "status", "--cached", "--json")
        assert as_json.code == 5 and as_json.json()["footer"]["state"] == "exhausted"

        needs_reauth(cli, "alice@example.test", "bob@example.test")
        reauth, status, footers = await status_beside_the_server(cli, rig)
        assert (reauth.code, reauth.stdout) == (4, "Codex · 2 accounts need re-auth\n")
        assert reauth.stdout.rstrip("\n") in footers
    finally:
        await stop(rig)


async def test_an_account_at_its_limit_is_never_called_available(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=10)
    cli.seed("bob", five_hour_used=100, weekly_used=30)
    assert cli.run("refresh", "--all").code == 0
    rig = await serve_same_store(cli)
    try:
        listing = await rig.client.request("multicodex/accounts/list", {})
    finally:
        await stop(rig)
    at_limit = listing["accounts"][1]
    assert at_limit["state"] == "at_limit"
    assert "at_limit" in at_limit["tags"]
    assert at_limit["limit_until"] == at_limit["usage"]["five_hour"]["resets_at"]
    assert at_limit["status_line"].startswith("bob@example.test (at limit) - 5h 0% left ↺")
    shown = cli.run("accounts", "bob", "--cached")
    assert shown.code == 0
    assert "  state:" in shown.stdout and "at its limit until " in shown.stdout


def test_every_view_names_its_windows_and_follows_the_usage_mode(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=30, weekly_used=10)
    cli.seed("bob", five_hour_used=60, weekly_used=80)
    assert cli.run("refresh", "--all").code == 0
    for mode, alice_5h, bob_weekly in (
        ("left", "70% left", "20% left"),
        ("used", "30% used", "80% used"),
    ):
        assert cli.run("footer", "--usage-mode", mode).code == 0
        status, listing, details = cli.run_many(
            ("status", "--cached"), ("accounts", "--cached"), ("accounts", "alice", "--cached")
        )
        assert f"5h {alice_5h}" in status.stdout
        alice_line, bob_line = listing.stdout.splitlines()[:2]
        assert alice_line.startswith(f"alice@example.test (active) - 5h {alice_5h} ↺")
        assert f" · weekly {bob_weekly} ↺" in bob_line
        assert "  5h window:" in details.stdout and f"{alice_5h}, resets " in details.stdout
        other = "used" if mode == "left" else "left"
        for shown in (status, listing, details):
            assert f"% {other}" not in shown.stdout, shown.stdout


def test_the_countdown_is_the_binding_windows_and_compact_is_short(cli: CliRig) -> None:
    now = cli.emu.now()
    alice = cli.seed("alice", five_hour_used=90, weekly_used=20)
    cli.emu.set_usage(alice.account_id, five_hour_resets_at=now + 2 * HOUR + 600)
    assert cli.run("refresh").code == 0

    near_5h = cli.run("status", "--cached")
    assert near_5h.stdout.startswith("Codex · alice@example.test · 5h 10% left ↺2h")
    assert near_5h.stdout.endswith(" · weekly 80% left\n")

    cli.emu.set_usage(alice.account_id, five_hour_used=5, weekly_used=95)
    assert cli.run("refresh").code == 0
    near_weekly = cli.run("status", "--cached")
    assert near_weekly.stdout.startswith(
        "Codex · alice@example.test · 5h 95% left · weekly 5% left ↺"
    )

    chosen = cli.run("footer", "--reset-window", "5h")
    assert chosen.stdout.splitlines()[0].startswith("footer: usageMode=left resetWindow=5h ")
    assert " · weekly 5% left\n" in chosen.stdout

    compact = cli.run("footer", "--compact", "--json").json()
    assert compact["settings"]["compact"] is True
    short = cli.run("status", "--cached")
    assert short.stdout == compact["line"]["text"] + "\n"
    assert short.stdout.startswith("Codex alice weekly 5% left ↺")
    assert len(short.stdout.rstrip("\n")) <= 36
