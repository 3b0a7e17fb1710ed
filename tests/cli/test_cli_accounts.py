"""`accounts`, `use`, `refresh`, `remove`, `label`, `reset` and `status`, human and --json,
with their exit codes and one-line errors."""

from __future__ import annotations

import os
import signal
import time

from cli_rig import CliResult, CliRig, read_until


def test_empty_pool_says_how_to_add_accounts(cli: CliRig) -> None:
    human, as_json = cli.run_many(("accounts",), ("accounts", "--json"))
    assert human.code == 0
    assert "multicodex login" in human.stdout and "multicodex import" in human.stdout
    machine = as_json.json()
    assert machine["no_accounts"] is True and machine["accounts"] == []
    assert machine["active"] is None


def test_accounts_lists_status_lines_and_the_active_account(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=10, weekly_used=20)
    cli.seed("bob", five_hour_used=60, weekly_used=80)
    machine = cli.run("accounts", "--json")
    assert machine.code == 0
    listing = machine.json()
    lines = [a["status_line"] for a in listing["accounts"]]
    assert lines[0].startswith("alice@example.test (active")
    assert "5h 90% left" in lines[0] and "weekly 80% left" in lines[0]
    assert lines[1].startswith("bob@example.test") and "5h 40% left" in lines[1]
    human = cli.run("accounts", "--cached")
    assert human.code == 0
    printed = human.stdout.splitlines()
    assert printed[:2] == lines
    assert printed[2].startswith("active: alice@example.test - ")
    assert printed[2].endswith(listing["active"]["reason"])


def test_one_account_by_unique_prefix(cli: CliRig) -> None:
    alice = cli.seed("alice")
    cli.seed("bob", five_hour_used=30)
    cli.run("refresh")
    human, as_json = cli.run_many(
        ("accounts", "bo", "--cached"), ("--json", "accounts", "ALICE@example.test")
    )
    assert human.code == 0
    assert human.stdout.splitlines()[0].startswith("bob@example.test")
    assert "5h window:" in human.stdout and "70% left" in human.stdout
    shown = as_json.json()
    assert shown["key"] == cli.key_of(alice) and shown["email"] == "alice@example.test"


def test_unknown_account_exits_3_with_one_line(cli: CliRig) -> None:
    cli.seed("alice")
    commands = (("use", "nobody"), ("accounts", "nobody"), ("refresh", "nobody"))
    *results, removed = cli.run_many(*commands, ("remove", "nobody", "--yes"))
    for command, result in zip(commands, results, strict=True):
        assert result.code == 3, result
        assert result.stdout == ""
        assert result.one_line_error() == f"multicodex {command[0]}: Unknown account: nobody"
    assert removed.code == 3 and "Unknown account: nobody" in removed.one_line_error()


def test_bad_arguments_exit_2_with_one_line(cli: CliRig) -> None:
    for result in cli.run_many(
        ("reset", "everything"),
        ("rotation", "--retry-limit", "99"),
        ("footer", "--usage-mode", "sideways"),
        ("frobnicate",),
        ("ask", "--wait", "soon", "hi"),
    ):
        assert result.code == 2, result
        assert result.stdout == ""
        assert result.one_line_error().startswith("multicodex")


def test_use_pins_for_the_following_commands(cli: CliRig) -> None:
    cli.seed("alice")
    bob = cli.seed("bob")
    used = cli.run("use", "bob")
    assert used.code == 0
    assert used.stdout.splitlines()[0] == "pinned bob@example.test"
    assert "(active, manual" in used.stdout
    as_json, status, use_json = cli.run_many(
        ("accounts", "--cached", "--json"), ("status",), ("use", "bob", "--json")
    )
    listing = as_json.json()
    pinned = use_json.json()
    assert set(pinned) == {"account", "active"}
    assert pinned["account"]["is_pinned"] is True and pinned["active"]["pinned"] is True
    assert listing["pinned_key"] == cli.key_of(bob)
    assert listing["active"]["rule"] == "pinned"
    assert "bob@example.test" in status.stdout
    reset = cli.run("reset", "manual")
    assert reset.code == 0
    assert reset.stdout.strip() == "reset: target=manual manualCleared=yes quotaCleared=0"
    assert cli.stored().pinned is None


def test_status_prints_exactly_the_footer_text(cli: CliRig) -> None:
    alice = cli.seed("alice", five_hour_used=25, weekly_used=40)
    # Resets half a step away from where their countdowns change (a minute, an hour):
    # the three commands below run seconds apart and must print the same countdowns.
    now = time.time()
    cli.emu.set_usage(
        alice.account_id,
        five_hour_resets_at=now + 2 * 3600 + 30,
        weekly_resets_at=now + 86400 * 3 + 1800,
    )
    status = cli.run("status")  # fetches the active account's unknown usage first
    assert status.code == 0
    as_json, footer_info = cli.run_many(("status", "--json", "--cached"), ("footer", "--json"))
    footer = as_json.json()["footer"]["text"]
    assert status.stdout == footer + "\n"
    assert footer.startswith("Codex · alice@example.test · 5h 75% left")
    assert footer_info.json()["line"]["text"] == footer


def test_refresh_all_and_one(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=5)
    cli.seed("bob", five_hour_used=15)
    everyone = cli.run("refresh", "--all")
    assert everyone.code == 0
    lines = everyone.stdout.splitlines()
    assert lines[0] == "refreshed 2 of 2 accounts"
    assert "5h 95% left" in lines[1] and "5h 85% left" in lines[2]
    one, both = cli.run_many(("refresh", "bob", "--json"), ("refresh", "bob", "--all"))
    assert one.json()["refreshed"] == 1
    assert [a["email"] for a in one.json()["accounts"]] == ["bob@example.test"]
    assert both.code == 2 and "not both" in both.one_line_error()


def test_refresh_of_dead_credentials_exits_4(cli: CliRig) -> None:
    carol = cli.seed("carol")
    cli.emu.revoke_refresh_tokens(carol.account_id)
    cli.emu.revoke_access_tokens(carol.account_id)
    with_store_expired(cli)
    result = cli.run("refresh", "carol")
    assert result.code == 4, result
    assert result.stdout == "", "nothing says 'refreshed' when the refresh failed"
    [line] = result.stderr.splitlines()  # one line, no log line repeating it
    assert line.startswith("multicodex refresh: carol@example.test: needs re-authentication (")
    assert line.endswith(" - run `multicodex reauth carol@example.test`")
    everyone = cli.run("refresh")
    assert everyone.code == 4
    assert everyone.stdout.splitlines()[0] == "refreshed 0 of 1 account; 1 needs a new login"
    assert len(everyone.stderr.splitlines()) == 1
    listing = cli.run("accounts", "--cached", "--json").json()
    assert listing["accounts"][0]["state"] == "needs_reauth"


def with_store_expired(cli: CliRig) -> None:
    """Make the stored access token look expired, so the next check refreshes it."""
    from multicodex.store.document import Store

    with Store.open(cli.home).transaction() as doc:
        for account in doc.accounts:
            account.tokens.expires_at = 0.0


def test_remove_without_a_terminal_needs_yes(cli: CliRig) -> None:
    cli.seed("alice")
    cli.seed("bob")
    refused = cli.run("remove", "bob")
    assert refused.code == 2
    assert "--yes" in refused.one_line_error()
    assert len(cli.stored().accounts) == 2
    removed = cli.run("remove", "bob", "--yes")
    assert removed.code == 0
    assert removed.stdout.splitlines()[0] == "Removed bob@example.test"
    assert cli.stored_emails() == ["alice@example.test"]


def test_remove_asks_on_a_terminal(cli: CliRig) -> None:
    cli.seed("alice")
    cli.seed("bob")
    assert _remove_answering(cli, "alice", b"n\n").code == 1
    assert len(cli.stored().accounts) == 2
    answered_yes = _remove_answering(cli, "alice", b"y\n")
    assert answered_yes.code == 0
    assert "Remove alice@example.test? This account is currently active" in answered_yes.stderr
    assert cli.stored_emails() == ["bob@example.test"]


def _remove_answering(cli: CliRig, identifier: str, answer: bytes) -> CliResult:
    controller, terminal = os.openpty()
    try:
        process = cli.start("remove", identifier, stdin=terminal)
        os.close(terminal)
        os.write(controller, answer)
        return cli.finish(process, "remove", identifier)
    finally:
        os.close(controller)


def test_label_names_an_account(cli: CliRig) -> None:
    cli.seed("alice")
    named = cli.run("label", "alice", "Work")
    assert named.code == 0 and named.stdout.strip() == "alice@example.test is now shown as Work"
    assert cli.run("accounts", "work", "--cached", "--json").json()["display_name"] == "Work"
    cleared = cli.run("label", "work", "--json").json()
    assert cleared["account"]["label"] is None


def test_global_options_before_or_after_the_command(cli: CliRig) -> None:
    other = cli.root / "other-home"
    env = cli.env()
    del env["MULTICODEX_HOME"]
    before, after = cli.run_many(
        ("--home", str(other), "paths", "--json"),
        ("paths", "--home", str(other), "--json"),
        env=env,
    )
    assert before.json()["home"] == after.json()["home"] == str(other)


def test_interrupt_while_asking_for_confirmation(cli: CliRig) -> None:
    """Ctrl-C at a prompt ends the command at once with 130, removing nothing."""
    cli.seed("alice")
    controller, terminal = os.openpty()
    try:
        process = cli.start("remove", "alice", stdin=terminal)
        os.close(terminal)
        prompt = read_until(process.stderr, b"[y/N]")
        assert b"Remove alice@example.test?" in prompt
        process.send_signal(signal.SIGINT)
        result = cli.finish(process, "remove", "alice")
    finally:
        os.close(controller)
    assert result.code == 130
    assert cli.stored_emails() == ["alice@example.test"]


def test_an_ambiguous_prefix_names_the_accounts_it_matches(cli: CliRig) -> None:
    cli.seed("alice")
    cli.seed("alina")
    cli.seed("bob")

    result = cli.run("use", "ali")

    assert result.code == 3, result
    assert result.one_line_error() == (
        "multicodex use: 'ali' matches 2 accounts: alice@example.test, alina@example.test; "
        "type more of the name"
    )
    assert cli.run("use", "alin").code == 0


def test_a_spark_cooldown_is_shown_on_the_account_and_cleared_by_reset_quota(cli: CliRig) -> None:
    bob = cli.seed("bob", plan="pro")
    cli.emu.set_usage(bob.account_id, spark_five_hour_used=100.0)
    spark = cli.run("ask", "--model", "gpt-5.3-codex-spark", "hi")
    assert spark.code != 0

    shown = cli.run("accounts", "bob", "--cached")
    listing = cli.run("accounts", "--cached")
    [block] = [line for line in shown.stdout.splitlines() if "blocked:" in line]
    assert block.split("blocked:")[1].strip().startswith("Spark limit until ")
    assert f"  blocked: {block.split('blocked:')[1].strip()}" in listing.stdout.splitlines()

    assert cli.run("reset", "quota").code == 0
    assert "blocked:" not in cli.run("accounts", "bob", "--cached").stdout
