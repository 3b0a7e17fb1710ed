"""One pin, in the store: `multicodex use` and the editor's accounts/use write the same
fact, every process honours it (a running server pushes the change), and `ask --account`
serves one request with an account without pinning it."""

from __future__ import annotations

import asyncio
from typing import Any

from cli_rig import RESPONSES_PATH, CliRig

from support.server_rig import STATUS, ServerRig, assert_no_tokens, start_server


async def serve_same_store(cli: CliRig) -> ServerRig:
    """An editor's server on the command line's store, re-reading it every second."""
    return await start_server(
        cli.emu, cli.base_url, cli.root, home=str(cli.home), status_refresh_seconds=1
    )


async def stop(rig: ServerRig) -> None:
    code = await rig.client.stop()
    assert code == 0, rig.client.stderr()[-3000:]
    assert_no_tokens(rig)


def pinned_to(key: str) -> Any:
    return lambda s: s["active"] is not None and s["active"]["pinned"] and s["active"]["key"] == key


async def test_a_pin_set_on_the_command_line_reaches_a_running_server(cli: CliRig) -> None:
    cli.seed("alice")
    bob = cli.key_of(cli.seed("bob"))
    rig = await serve_same_store(cli)
    try:
        first = await rig.client.notification(STATUS, lambda s: s["active"] is not None)
        assert first["active"]["pinned"] is False

        used = await asyncio.to_thread(cli.run, "use", "bob")
        assert used.code == 0, used.stderr

        pushed = await rig.client.notification(STATUS, pinned_to(bob))
        assert pushed["footer"]["text"].startswith("Codex · bob@example.test ·")
        current = await rig.client.request("multicodex/status/get", {})
        assert current["active"]["key"] == bob and current["active"]["rule"] == "pinned"

        cleared = await asyncio.to_thread(cli.run, "reset", "manual")
        assert cleared.code == 0, cleared.stderr
        unpinned = await rig.client.notification(
            STATUS, lambda s: s["revision"] > pushed["revision"] and not s["active"]["pinned"]
        )
        assert unpinned["accounts"][1]["is_pinned"] is False
    finally:
        await stop(rig)


async def test_a_pin_chosen_in_the_editor_is_the_command_lines_pin(cli: CliRig) -> None:
    cli.seed("alice")
    bob = cli.key_of(cli.seed("bob"))
    rig = await serve_same_store(cli)
    try:
        await rig.client.request("multicodex/accounts/use", {"key": bob})

        listing, status = await asyncio.to_thread(
            cli.run_many, ("accounts", "--cached", "--json"), ("status", "--cached")
        )
        assert listing.json()["pinned_key"] == bob
        assert listing.json()["active"]["rule"] == "pinned"
        assert status.stdout.startswith("Codex · bob@example.test ·")

        await rig.client.request("multicodex/accounts/reset", {"target": "manual"})
        after = await asyncio.to_thread(cli.run, "accounts", "--cached", "--json")
        assert after.json()["pinned_key"] is None
    finally:
        await stop(rig)


def test_ask_with_an_account_serves_with_it_and_leaves_the_pin(cli: CliRig) -> None:
    alice = cli.seed("alice")
    bob = cli.seed("bob")
    assert cli.run("use", "alice").code == 0

    result = cli.run("ask", "--account", "bob", "Say", "hello")

    assert result.code == 0, result.stderr
    assert result.stdout.startswith("Hello from bob@example.test.")
    answered = result.stderr.splitlines()[-1]
    assert answered == "multicodex: answered by bob@example.test (1 attempt(s))"
    assert cli.stored().pinned == cli.key_of(alice)
    requests = cli.emu.requests_to(RESPONSES_PATH)
    assert [r.account_id for r in requests] == [bob.account_id]

    assert cli.run("reset", "manual").code == 0
    assert cli.run("ask", "--account", "alice", "hi").code == 0
    assert cli.stored().pinned is None


def test_ask_with_an_account_at_its_limit_fails_instead_of_using_another(cli: CliRig) -> None:
    cli.seed("alice")
    bob = cli.seed("bob")
    cli.emu.set_usage(bob.account_id, five_hour_used=100)

    result = cli.run("ask", "--account", "bob", "hi")

    assert result.code == 5, result.stderr
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith(
        "multicodex ask: bob@example.test cannot serve this request now; the earliest reset is "
    )
    requests = cli.emu.requests_to(RESPONSES_PATH)
    assert [(r.account_id, r.status) for r in requests] == [(bob.account_id, 429)]
    assert cli.stored().pinned is None
