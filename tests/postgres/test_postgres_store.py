"""The store in a real PostgreSQL: the same document as the file store, tokens sealed at
rest, a pin per machine, and every bad configuration refused with one line before anything
is written."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from multicodex.model import StoredAccount, TokenSet
from multicodex.store.errors import StoreError
from multicodex.store.opening import open_store
from multicodex.store.postgres.errors import (
    StoreDatabaseNewer,
    StoreDatabaseUnavailable,
    StoreKeyError,
    StoreUrlInvalid,
)
from multicodex.store.postgres.keys import KEY_ENV, Key
from multicodex.store.postgres.store import PostgresStore
from postgres.conftest import Database

SECRET_ACCESS = "at_sealed_access_token_value"
SECRET_REFRESH = "rt_sealed_refresh_token_value"


def account(key: str, refresh: str = SECRET_REFRESH) -> StoredAccount:
    tokens = TokenSet(
        access_token=SECRET_ACCESS, refresh_token=refresh, expires_at=time.time() + 3600
    )
    return StoredAccount(key=key, email=f"{key}@example.test", tokens=tokens, added_at=time.time())


def key_env() -> dict[str, str]:
    return {KEY_ENV: Key.generate().encoded()}


def opened(database: Database, home: Path, env: dict[str, str]) -> PostgresStore:
    store = open_store(home, database.url, env=env)
    assert isinstance(store, PostgresStore)
    return store


def tables(database: Database) -> str:
    return database.sql(
        "SELECT string_agg(table_name, ',') FROM information_schema.tables "
        "WHERE table_schema = 'multicodex'"
    ).strip()


def test_accounts_settings_and_tokens_come_back_as_written(
    database: Database, tmp_path: Path
) -> None:
    env = key_env()
    store = opened(database, tmp_path / "a", env)
    with store.transaction() as document:
        document.accounts += [account("one"), account("two")]
        document.settings.rotation.sticky = False
        document.active = "two"
    again = opened(database, tmp_path / "b", env).read()
    assert [a.key for a in again.accounts] == ["one", "two"]
    assert again.accounts[0].tokens.refresh_token == SECRET_REFRESH
    assert again.settings.rotation.sticky is False
    assert again.active == "two"


async def test_an_async_transaction_that_raises_writes_nothing(
    database: Database, tmp_path: Path
) -> None:
    store = opened(database, tmp_path, key_env())
    async with store.atransaction() as document:
        document.accounts.append(account("kept"))
    with pytest.raises(RuntimeError):
        async with store.atransaction() as document:
            document.accounts.clear()
            raise RuntimeError("changed my mind")
    assert [a.key for a in store.read().accounts] == ["kept"]
    assert database.sql("SELECT count(*) FROM multicodex.accounts").strip() == "1"


async def test_writers_of_two_processes_lose_nothing(database: Database, tmp_path: Path) -> None:
    env = key_env()
    first, second = opened(database, tmp_path / "a", env), opened(database, tmp_path / "b", env)

    async def add(store: PostgresStore, prefix: str) -> None:
        for n in range(10):
            async with store.atransaction() as document:
                document.accounts.append(account(f"{prefix}{n}"))

    await asyncio.gather(add(first, "a"), add(second, "b"))
    assert len(opened(database, tmp_path / "c", env).read().accounts) == 20


def test_the_pin_belongs_to_the_machine_that_set_it(database: Database, tmp_path: Path) -> None:
    env = key_env()
    laptop, desktop = (
        opened(database, tmp_path / "laptop", env),
        opened(database, tmp_path / "desktop", env),
    )
    with laptop.transaction() as document:
        document.accounts += [account("one"), account("two")]
        document.pinned = "two"
    assert laptop.read().pinned == "two"
    seen = opened(database, tmp_path / "desktop", env).read()
    assert seen.pinned is None
    assert [a.key for a in seen.accounts] == ["one", "two"]
    assert desktop.machine != laptop.machine


def test_tokens_are_unreadable_in_the_database_and_its_dump(
    database: Database, tmp_path: Path
) -> None:
    store = opened(database, tmp_path, key_env())
    with store.transaction() as document:
        document.accounts.append(account("one"))
    raw = database.sql("SELECT * FROM multicodex.accounts")
    dump = database.cluster.tool("pg_dump", "-d", database.name)
    assert "one@example.test" in dump  # the dump did reach the table
    for text in (raw, dump):
        assert SECRET_REFRESH not in text and SECRET_ACCESS not in text
        assert SECRET_REFRESH.encode().hex() not in text


def test_a_missing_key_is_one_line_and_writes_nothing(database: Database, tmp_path: Path) -> None:
    with pytest.raises(StoreKeyError) as refused:
        open_store(tmp_path, database.url, env={})
    assert "no encryption key" in str(refused.value) and KEY_ENV in str(refused.value)
    assert "\n" not in str(refused.value)
    assert "not-the-secret" not in str(refused.value)
    assert tables(database) == ""


def test_a_wrong_key_is_refused_before_anything_is_read_or_written(
    database: Database, tmp_path: Path
) -> None:
    store = opened(database, tmp_path, key_env())
    with store.transaction() as document:
        document.accounts.append(account("one"))
    before = database.sql("SELECT tokens, public FROM multicodex.accounts")
    with pytest.raises(StoreKeyError) as refused:
        opened(database, tmp_path / "other", key_env())
    assert "is not the one the tokens" in str(refused.value)
    assert database.sql("SELECT tokens, public FROM multicodex.accounts") == before


def test_a_malformed_key_is_named_by_its_source(database: Database, tmp_path: Path) -> None:
    with pytest.raises(StoreKeyError, match=rf"\${KEY_ENV} does not hold a MultiCodex store key"):
        open_store(tmp_path, database.url, env={KEY_ENV: "short"})


def test_a_key_file_others_can_read_is_refused(database: Database, tmp_path: Path) -> None:
    key_file = tmp_path / "store-key"
    tmp_path.mkdir(exist_ok=True)
    key_file.write_text(Key.generate().encoded() + "\n")
    key_file.chmod(0o644)
    with pytest.raises(StoreKeyError, match="chmod 600"):
        open_store(tmp_path, database.url, env={})
    key_file.chmod(0o600)
    assert open_store(tmp_path, database.url, env={}).exists


def test_a_newer_schema_is_refused_and_left_untouched(database: Database, tmp_path: Path) -> None:
    env = key_env()
    opened(database, tmp_path, env)
    database.sql("INSERT INTO multicodex.schema_version (version) VALUES (99)")
    with pytest.raises(StoreDatabaseNewer) as refused:
        opened(database, tmp_path, env)
    assert "schema version 99" in str(refused.value) and "Upgrade MultiCodex" in str(refused.value)
    assert database.sql("SELECT max(version) FROM multicodex.schema_version").strip() == "99"


def test_an_unreachable_database_fails_at_once_with_the_url_without_password(
    tmp_path: Path,
) -> None:
    url = "postgresql://someone:hunter2@127.0.0.1:1/nowhere"
    with pytest.raises(StoreDatabaseUnavailable) as refused:
        open_store(tmp_path, url, env=key_env())
    message = str(refused.value)
    assert "postgresql://someone@127.0.0.1:1/nowhere" in message and "hunter2" not in message


def test_a_url_libpq_cannot_parse_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreUrlInvalid, match="not a PostgreSQL URL"):
        open_store(tmp_path, "postgresql://a@b/db?nosuchoption=1", env=key_env())


def test_a_database_that_goes_away_fails_requests_then_recovers(
    database: Database, tmp_path: Path
) -> None:
    env = key_env()
    store = opened(database, tmp_path, env)
    with store.transaction() as document:
        document.accounts.append(account("one"))
    database.cluster.stop()
    try:
        with pytest.raises(StoreError, match="cannot be used now"), store.transaction() as document:
            document.accounts.clear()
    finally:
        database.cluster.start()
    with store.transaction() as document:
        document.accounts.append(account("two"))
    assert [a.key for a in store.read().accounts] == ["one", "two"]
