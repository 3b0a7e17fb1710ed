"""`multicodex store audit`: who spent which account. Logins (accounts moved in), a switch
and pin, and refreshes made through the real command on a database store are listed with
the machine and the reason, filtered by account and time, never with a token; the file
store says it keeps no audit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.cli_rig import CliRig
from multicodex_emulator import Emulator
from postgres.conftest import Database


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[CliRig]:
    emulator = Emulator(tokens_per_second=0)
    with emulator.serve_in_thread() as base_url:
        rig = CliRig(emu=emulator, base_url=base_url, root=tmp_path)
        yield rig
    rig.assert_clean()


def test_the_audit_says_who_spent_which_account(cli: CliRig, database: Database) -> None:
    alice = cli.seed("alice")
    bob = cli.seed("bob")
    assert cli.run("store", "migrate", "--to", database.url).code == 0
    env = cli.env(MULTICODEX_STORE=database.url)
    assert cli.run("use", "bob", env=env).code == 0
    for account in (alice, bob):
        cli.emu.expire_access_tokens(account.account_id)
    assert cli.run("refresh", "--all", env=env).code == 0

    listed = cli.run("store", "audit", "--json", env=env)
    assert listed.code == 0, listed.stderr
    entries = listed.json()["entries"]
    events = {(e["event"], e["account"]) for e in entries}
    alice_key, bob_key = cli.key_of(alice), cli.key_of(bob)
    assert {("login", alice_key), ("login", bob_key)} <= events
    assert {("pin", bob_key), ("switch", bob_key)} <= events
    assert {("refresh", alice_key), ("refresh", bob_key)} <= events
    machine = (cli.home / "machine-id").read_text().strip()
    assert {e["machine"] for e in entries} == {machine}
    refresh = next(e for e in entries if e["event"] == "refresh")
    assert "access token" in refresh["reason"]
    assert "rt_" not in listed.stdout and "eyJ" not in listed.stdout

    only_bob = cli.run("store", "audit", "--json", "--account", "BOB@", env=env).json()
    assert {e["account"] for e in only_bob["entries"]} == {bob_key}
    assert cli.run("store", "audit", "--json", "--since", "2099-01-01", env=env).json() == {
        "entries": []
    }
    table = cli.run("store", "audit", env=env)
    assert table.code == 0 and "refresh" in table.stdout and "reason" in table.stdout

    on_file = cli.run("store", "audit")
    assert on_file.code != 0
    assert "keeps none" in on_file.stderr
