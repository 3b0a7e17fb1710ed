"""`multicodex paths` and `verify` on a store in PostgreSQL describe the database (its URL
without the password, the schema version, where the key comes from, the store lock)
instead of the file store's files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.cli_rig import CliRig
from multicodex.store.paths import DOCUMENT_NAME
from multicodex.store.postgres.keys import KEY_FILE_NAME
from multicodex.store.postgres.migrations import SCHEMA_VERSION
from multicodex_emulator import Emulator
from postgres.conftest import Database

PASSWORD = "not-the-secret"


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[CliRig]:
    emulator = Emulator(tokens_per_second=0)
    with emulator.serve_in_thread() as base_url:
        rig = CliRig(emu=emulator, base_url=base_url, root=tmp_path)
        yield rig
    rig.assert_clean()


@pytest.fixture
def on_database(cli: CliRig, database: Database) -> dict[str, str]:
    cli.seed("alice")
    moved = cli.run("store", "migrate", "--to", database.url)
    assert moved.code == 0, moved.stderr
    return cli.env(MULTICODEX_STORE=database.url)


def shown_url(database: Database) -> str:
    return database.url.replace(f":{PASSWORD}@", "@")


def test_paths_names_the_database_its_schema_and_key(
    cli: CliRig, database: Database, on_database: dict[str, str]
) -> None:
    result = cli.run("paths", env=on_database)
    assert result.code == 0, result.stderr
    lines = [line.split() for line in result.stdout.splitlines()]
    assert ["store:", "database", shown_url(database)] in lines
    assert ["schema:", "version", str(SCHEMA_VERSION), "(this", "MultiCodex:"] == next(
        line[:5] for line in lines if line[0] == "schema:"
    )
    key = next(line for line in lines if line[0] == "key:")
    assert key[2:] == ["from", str(cli.home / KEY_FILE_NAME)]
    assert PASSWORD not in result.stdout + result.stderr
    assert str(cli.home / DOCUMENT_NAME) not in result.stdout
    assert "quarantine" not in result.stdout

    described = cli.run("paths", "--json", env=on_database).json()["database"]
    assert described["url"] == shown_url(database)
    assert described["schema_version"] == described["supported_schema_version"] == SCHEMA_VERSION
    assert described["key_source"] == str(cli.home / KEY_FILE_NAME)
    assert described["key_id"] == key[1]


def test_verify_checks_the_database_key_and_lock_not_the_files(
    cli: CliRig, database: Database, on_database: dict[str, str]
) -> None:
    result = cli.run("verify", "--json", env=on_database)
    checks = {c["name"]: c for c in result.json()["checks"]}
    store_checks = [n for n in checks if n.startswith("store")]
    assert store_checks == ["store_database", "store_key", "store_lock"]
    assert all(checks[n]["status"] == "pass" for n in store_checks), checks
    assert checks["store_database"]["detail"] == (
        f"{shown_url(database)}, schema version {SCHEMA_VERSION} "
        f"(this MultiCodex: {SCHEMA_VERSION})"
    )
    assert checks["store_key"]["detail"].endswith(
        f"from {cli.home / KEY_FILE_NAME}; every token opens (1 account(s))"
    )
    assert checks["store_lock"]["detail"].startswith("taken and released in ")
    assert PASSWORD not in result.stdout + result.stderr

    text = cli.run("verify", env=on_database)
    assert "store database: " in text.stdout and "storage directory" not in text.stdout
