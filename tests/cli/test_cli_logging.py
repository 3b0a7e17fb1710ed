"""The server and the command line log through one setup: stderr, scrubbed, WARNING by
default; a command's lines start with ``multicodex:`` like its other notes, the server's
(the editor's output channel) with the time."""

from __future__ import annotations

import re

from cli_rig import CliRig

from support.server_rig import assert_no_tokens, start_server

SERVER_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING multicodex\.store\.")


def widen(cli: CliRig) -> None:
    """A store file other users can read: MultiCodex tightens it and warns."""
    (cli.home / "accounts.json").chmod(0o644)


def test_a_command_warns_on_stderr_as_a_multicodex_line(cli: CliRig) -> None:
    cli.seed("alice")
    widen(cli)

    result = cli.run("accounts", "--cached")

    assert result.code == 0, result.stderr
    [warning] = [line for line in result.stderr.splitlines() if "accessible" in line]
    assert warning.startswith("multicodex: WARNING multicodex.store.")
    assert "was accessible to other users (mode 644); changed it to 600" in warning
    assert "alice@example.test" in result.stdout


async def test_the_server_logs_the_same_warning_with_its_time(cli: CliRig) -> None:
    cli.seed("alice")
    widen(cli)

    rig = await start_server(cli.emu, cli.base_url, cli.root, home=str(cli.home))
    try:
        await rig.client.request("multicodex/accounts/list", {})
    finally:
        code = await rig.client.stop()

    assert code == 0
    [warning] = [line for line in rig.client.stderr().splitlines() if "accessible" in line]
    assert SERVER_LINE.match(warning), warning
    assert "was accessible to other users (mode 644); changed it to 600" in warning
    assert_no_tokens(rig)


def test_a_mistyped_event_loop_is_said_and_ignored(cli: CliRig) -> None:
    cli.seed("alice")

    mistyped = cli.run(
        "accounts", "--cached", env={**cli.env(), "MULTICODEX_EVENT_LOOP": "asycnio"}
    )
    chosen = cli.run("accounts", "--cached", env={**cli.env(), "MULTICODEX_EVENT_LOOP": "asyncio"})

    assert mistyped.code == 0, mistyped.stderr
    [warning] = [line for line in mistyped.stderr.splitlines() if "MULTICODEX_EVENT_LOOP" in line]
    assert warning.startswith("multicodex: WARNING multicodex.event_loop")
    assert "'asycnio' is neither uvloop nor asyncio: ignored" in warning
    assert "alice@example.test" in mistyped.stdout
    assert chosen.code == 0
    assert "MULTICODEX_EVENT_LOOP" not in chosen.stderr
