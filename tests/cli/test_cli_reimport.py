"""Importing a file again never burns an account: older tokens never replace newer ones.

A refresh token works once. After MultiCodex has refreshed an imported account, the file
it came from (or a backup of it) holds a spent pair; importing it again used to put that
pair back, and the next refresh came back `refresh_token_reused`. Each test imports, lets
MultiCodex refresh, imports the older file again, then refreshes once more: the emulator
must count no reused refresh token, and the second import must say it kept the newer
tokens.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from cli_rig import CliRig

from multicodex_emulator import EmuAccount
from support.accounts import write_codex_auth

KEPT = "kept the newer tokens MultiCodex already has for"


def _codex_cli_file(path: Path, tokens: dict[str, Any], account: EmuAccount) -> None:
    write_codex_auth(path, tokens, account.account_id)


def _pi_file(path: Path, tokens: dict[str, Any], account: EmuAccount) -> None:
    entry = {
        "type": "oauth",
        "access": tokens["access_token"],
        "refresh": tokens["refresh_token"],
        "expires": round((time.time() + 3600) * 1000),
        "accountId": account.account_id,
    }
    path.write_text(json.dumps({"openai-codex": entry}))


def _pi_multicodex_file(path: Path, tokens: dict[str, Any], account: EmuAccount) -> None:
    entry = {
        "email": account.email,
        "accessToken": tokens["access_token"],
        "refreshToken": tokens["refresh_token"],
        "expiresAt": round((time.time() + 3600) * 1000),
        "accountId": account.account_id,
    }
    path.write_text(json.dumps({"version": 1, "accounts": [entry]}))


WRITERS = {"codex-cli": _codex_cli_file, "pi": _pi_file, "pi-multicodex": _pi_multicodex_file}


def _source(cli: CliRig, kind: str, account: EmuAccount) -> Path:
    path = cli.root / "sources" / kind / "credentials.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    WRITERS[kind](path, cli.tokens_for(account), account)
    path.chmod(0o600)
    return path


def _refresh_spending_the_token(cli: CliRig, account: EmuAccount) -> None:
    """Make MultiCodex spend the account's refresh token (the backend rejects its access
    token) and check that the refresh worked."""
    before = cli.emu.counters(account.account_id)["refreshes"]
    cli.emu.expire_access_tokens(account.account_id)
    refreshed = cli.run("refresh")
    assert refreshed.code == 0, refreshed.stderr
    assert cli.emu.counters(account.account_id)["refreshes"] == before + 1


def _nothing_burned(cli: CliRig, account: EmuAccount) -> None:
    _refresh_spending_the_token(cli, account)
    assert cli.emu.counters(account.account_id)["refresh_reused"] == 0
    [stored] = cli.stored().accounts
    assert not stored.needs_reauth


@pytest.mark.parametrize("link", [True, False], ids=["linked", "no-link"])
@pytest.mark.parametrize("kind", ["codex-cli", "pi", "pi-multicodex"])
def test_importing_an_older_file_again_keeps_the_newer_tokens(
    cli: CliRig, kind: str, link: bool
) -> None:
    alice = cli.emu.add_account(email="alice@example.test")
    path = _source(cli, kind, alice)
    backup = shutil.copy(path, path.with_name("backup.json"))
    options = () if link else ("--no-link",)

    first = cli.run("import", kind, "--path", str(path), *options)
    assert first.code == 0 and "added alice@example.test" in first.stdout, first.stderr
    _refresh_spending_the_token(cli, alice)

    again = cli.run("import", kind, "--path", str(path), *options)
    from_backup = cli.run("import", kind, "--path", str(backup), *options)

    assert again.code == 0 and from_backup.code == 0
    if link and kind != "pi-multicodex":  # written back: the file holds what the store holds
        # (pi-multicodex's file is a one-way migration: never written back)
        assert "unchanged alice@example.test" in again.stdout
    else:
        assert f"{KEPT} alice@example.test" in again.stdout
    assert f"{KEPT} alice@example.test" in from_backup.stdout
    _nothing_burned(cli, alice)


@pytest.mark.parametrize(
    ("older", "newer"),
    [("codex-cli", "pi"), ("pi", "pi-multicodex"), ("pi-multicodex", "codex-cli")],
)
def test_two_sources_of_one_account_the_newest_wins_in_either_order(
    cli: CliRig, older: str, newer: str
) -> None:
    """The same account signed in twice (two tools): whichever order the files are
    imported in, the store ends with the later sign-in and both refresh chains stay
    unspent by mistake."""
    bob = cli.emu.add_account(email="bob@example.test")
    old_path = _source(cli, older, bob)
    time.sleep(1.1)  # a later sign-in: its tokens are issued a second later
    new_path = _source(cli, newer, bob)

    newest_first = [
        cli.run("import", newer, "--path", str(new_path), "--no-link"),
        cli.run("import", older, "--path", str(old_path), "--no-link"),
    ]
    assert [r.code for r in newest_first] == [0, 0]
    assert f"{KEPT} bob@example.test" in newest_first[1].stdout
    new_refresh = json.loads(new_path.read_text())
    [stored] = cli.stored().accounts
    assert stored.tokens.refresh_token in json.dumps(new_refresh)

    oldest_first = cli.run("import", older, "--path", str(old_path), "--no-link")
    then_newer = cli.run("import", newer, "--path", str(new_path), "--no-link")
    assert f"{KEPT} bob@example.test" in oldest_first.stdout
    assert "unchanged bob@example.test" in then_newer.stdout
    _nothing_burned(cli, bob)


def test_the_pi_multicodex_migration_run_twice_burns_nothing(cli: CliRig) -> None:
    """The README's migration: `multicodex import` finds pi-multicodex's
    codex-accounts.json at its usual place; MultiCodex refreshes; the user (or the
    editor's Import Accounts) imports again."""
    carol = cli.emu.add_account(email="carol@example.test")
    dave = cli.emu.add_account(email="dave@example.test")
    agent_dir = cli.root / "user" / ".pi" / "agent"
    agent_dir.mkdir(parents=True)
    entries = []
    for account in (carol, dave):
        tokens = cli.tokens_for(account)
        entries.append(
            {
                "email": account.email,
                "accessToken": tokens["access_token"],
                "refreshToken": tokens["refresh_token"],
                "expiresAt": round((time.time() + 3600) * 1000),
                "accountId": account.account_id,
            }
        )
    original = json.dumps({"version": 1, "accounts": entries})
    (agent_dir / "codex-accounts.json").write_text(original)

    first = cli.run("import")
    assert first.code == 0 and "added carol@example.test, dave@example.test" in first.stdout
    for account in (carol, dave):
        _refresh_spending_the_token(cli, account)
    (agent_dir / "codex-accounts.json").write_text(original)  # pi-multicodex's old copy

    second = cli.run("import")

    assert second.code == 0
    assert f"{KEPT} carol@example.test, dave@example.test" in second.stdout
    for account in (carol, dave):
        _refresh_spending_the_token(cli, account)
        assert cli.emu.counters(account.account_id)["refresh_reused"] == 0
    assert not any(a.needs_reauth for a in cli.stored().accounts)
