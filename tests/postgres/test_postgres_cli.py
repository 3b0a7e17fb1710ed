"""The real `multicodex` command on a store in PostgreSQL, against the emulator: moving a
file store in and out, the account commands and a completion, key rotation, and the one
line a bad configuration gets."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.cli_rig import CliRig
from multicodex.store.document import Store
from multicodex.store.opening import open_store
from multicodex.store.postgres.keys import KEY_ENV, Key
from multicodex.store.postgres.migrations import SCHEMA_VERSION
from multicodex_emulator import Emulator
from postgres.conftest import Database
from support.accounts import stored_account


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[CliRig]:
    emulator = Emulator(tokens_per_second=0)
    with emulator.serve_in_thread() as base_url:
        rig = CliRig(emu=emulator, base_url=base_url, root=tmp_path)
        yield rig
    rig.assert_clean()


def on_database(cli: CliRig, database: Database, **extra: str) -> dict[str, str]:
    return cli.env(MULTICODEX_STORE=database.url, **extra)


def moved_in(cli: CliRig, database: Database) -> None:
    moved = cli.run("store", "migrate", "--to", database.url)
    assert moved.code == 0, moved.stderr
    assert "created the encryption key file" in moved.stderr


def sealed_key_ids(database: Database) -> set[str]:
    return set(database.sql("SELECT DISTINCT tokens_key_id FROM multicodex.accounts").split())


def test_account_commands_and_a_completion_work_on_the_database(
    cli: CliRig, database: Database
) -> None:
    cli.seed("alice")
    bob = cli.seed("bob")
    moved_in(cli, database)
    env = on_database(cli, database)

    listing = cli.run("accounts", "--json", "--cached", env=env)
    assert [a["email"] for a in listing.json()["accounts"]] == [
        "alice@example.test",
        "bob@example.test",
    ]
    assert cli.run("use", "bob", env=env).code == 0
    assert cli.run("accounts", "--json", "--cached", env=env).json()["pinned_key"] == cli.key_of(
        bob
    )
    refreshed = cli.run("refresh", "--all", env=env)
    assert refreshed.stdout.splitlines()[0] == "refreshed 2 of 2 accounts"
    carol = cli.emu.add_account(email="carol@example.test")
    imported = cli.run("import", "codex-cli", "--path", str(cli.write_codex_auth(carol)), env=env)
    assert imported.code == 0, imported.stderr
    answered = cli.run("ask", "Say", "hello", env=env)
    assert answered.code == 0, answered.stderr
    assert answered.stdout.startswith("Hello from bob@example.test.")
    verified = cli.run("store", "verify", env=env)
    assert verified.code == 0, verified.stderr
    assert (
        f"schema: version {SCHEMA_VERSION}" in verified.stdout
        and "lock: taken and released" in verified.stdout
    )
    assert database.sql("SELECT count(*) FROM multicodex.accounts").strip() == "3"
    assert len(Store.open(cli.home).read().accounts) == 2  # the file store was left as it was


def test_file_to_database_to_file_keeps_every_account_and_setting(
    cli: CliRig, database: Database
) -> None:
    cli.seed("alice")
    cli.seed("bob")
    with Store.open(cli.home).transaction() as document:
        document.accounts[1].label = "Bob at work"
        document.settings.rotation.sticky = False
        document.settings.usage_ttl_seconds = 120
    moved_in(cli, database)
    back = cli.root / "back"
    returned = cli.run("store", "migrate", "--to", str(back), env=on_database(cli, database))
    assert returned.code == 0, returned.stderr
    original, round_tripped = Store.open(cli.home).read(), Store.open(back).read()
    assert round_tripped.accounts == original.accounts
    assert round_tripped.settings == original.settings


def test_migrating_never_puts_older_tokens_over_newer(cli: CliRig, database: Database) -> None:
    alice = cli.seed("alice")
    moved_in(cli, database)
    env = on_database(cli, database)
    newer = stored_account(cli.tokens_for(alice)).tokens.model_copy(
        update={"last_refresh": time.time()}
    )
    with open_store(cli.home, database.url, env={}).transaction() as document:
        in_database = document.find(cli.key_of(alice))
        assert in_database is not None
        in_database.tokens = newer
    again = cli.run("store", "migrate", "--to", database.url)
    assert again.code == 0
    assert "1 kept because the target's tokens were fresher" in again.stdout
    back = cli.root / "back"
    assert cli.run("store", "migrate", "--to", str(back), env=env).code == 0
    stale = Store.open(cli.home).read().find(cli.key_of(alice))
    fresh = Store.open(back).read().find(cli.key_of(alice))
    assert stale is not None and fresh is not None
    assert fresh.tokens == newer and stale.tokens != newer


def test_rotate_key_seals_every_token_again(cli: CliRig, database: Database) -> None:
    cli.seed("alice")
    cli.seed("bob")
    moved_in(cli, database)
    before = sealed_key_ids(database)
    env = on_database(cli, database)
    rotated = cli.run("store", "rotate-key", env=env)
    assert rotated.code == 0, rotated.stderr
    assert "sealed 2 account(s) again" in rotated.stdout
    after = sealed_key_ids(database)
    assert len(after) == 1 and after.isdisjoint(before)
    key_file = cli.home / "store-key"
    assert len(key_file.read_text().split()) == 1  # the old key is gone from the file
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert len(cli.run("accounts", "--json", "--cached", env=env).json()["accounts"]) == 2


def test_bad_configurations_get_one_line_and_write_nothing(cli: CliRig, database: Database) -> None:
    cli.seed("alice")
    moved_in(cli, database)
    rows = database.sql("SELECT key, tokens, public FROM multicodex.accounts")
    wrong_key = on_database(cli, database, **{KEY_ENV: Key.generate().encoded()})
    unreachable = cli.env(MULTICODEX_STORE="postgresql://someone:hunter2@127.0.0.1:1/none")
    cases = {
        "is not the one the tokens": wrong_key,
        "cannot be used now": unreachable,
    }
    for words, env in cases.items():
        failed = cli.run("accounts", "--cached", env=env)
        assert failed.code == 1
        line = failed.one_line_error()
        assert words in line and "hunter2" not in line
    (cli.home / "store-key").unlink()
    missing = cli.run("use", "alice", env=on_database(cli, database))
    assert missing.code == 1 and "no encryption key" in missing.one_line_error()
    database.sql("INSERT INTO multicodex.schema_version (version) VALUES (7)")
    newer = cli.run("accounts", env=on_database(cli, database, **{KEY_ENV: "x" * 43}))
    assert newer.code == 1 and "schema version 7" in newer.one_line_error()
    assert database.sql("SELECT key, tokens, public FROM multicodex.accounts") == rows
    assert json.loads((cli.home / "accounts.json").read_text())["accounts"]
