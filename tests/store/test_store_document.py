"""The store document on disk: location, modes, transactions, corruption, versions."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import stat
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from multicodex.auth.importers import read_pi_multicodex
from multicodex.model import StoredAccount
from multicodex.store.document import SCHEMA_REF, Store
from multicodex.store.errors import (
    StoreCorruptError,
    StoreInvalidDocument,
    StoreLockTimeout,
    StoreNewerVersionError,
)
from multicodex.store.paths import HOME_ENV, resolve_home
from multicodex.store.schema import StoreDocument

AccountFactory = Callable[..., StoredAccount]


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_raw(store: Store, text: str) -> None:
    store.path.write_text(text, encoding="utf-8")
    os.chmod(store.path, 0o600)


# -- location --------------------------------------------------------------------------


def test_home_argument_wins_over_environment(tmp_path: Path) -> None:
    env = {HOME_ENV: str(tmp_path / "from-env")}
    assert resolve_home(tmp_path / "explicit", env) == tmp_path / "explicit"
    assert resolve_home(None, env) == tmp_path / "from-env"


def test_default_home_is_the_platform_config_dir(tmp_path: Path) -> None:
    env = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    saved = os.environ.get("XDG_CONFIG_HOME")
    os.environ["XDG_CONFIG_HOME"] = env["XDG_CONFIG_HOME"]
    try:
        assert resolve_home(None, {}) == tmp_path / "xdg" / "multicodex"
    finally:
        if saved is None:
            del os.environ["XDG_CONFIG_HOME"]
        else:
            os.environ["XDG_CONFIG_HOME"] = saved


def test_open_honours_the_environment(tmp_path: Path) -> None:
    store = Store.open(env={HOME_ENV: str(tmp_path / "env-home")})
    assert store.home == tmp_path / "env-home"
    assert store.path == tmp_path / "env-home" / "accounts.json"
    assert store.lock_path.parent == store.home


# -- files and modes -------------------------------------------------------------------


def test_first_write_creates_private_files_with_schema(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    assert mode_of(home) == 0o700
    assert store.read() == StoreDocument()
    assert not store.path.exists()

    with store.transaction() as doc:
        doc.accounts.append(stored_account("alice"))

    assert mode_of(store.path) == 0o600
    raw = json.loads(store.path.read_text())
    assert next(iter(raw)) == "$schema"
    assert raw["$schema"] == SCHEMA_REF
    assert raw["version"] == 1
    schema = json.loads((home / SCHEMA_REF.removeprefix("./")).read_text())
    assert schema["title"] == "StoreDocument"
    assert "accounts" in schema["properties"]
    assert [a.email for a in store.read().accounts] == ["alice@example.test"]


def test_wide_modes_are_tightened_with_a_warning(
    home: Path, stored_account: AccountFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with Store.open(home).transaction() as doc:
        doc.accounts.append(stored_account("alice"))
    os.chmod(home, 0o755)  # noqa: S103 (the situation under test)
    os.chmod(home / "accounts.json", 0o644)
    caplog.set_level(logging.WARNING)

    store = Store.open(home)

    assert mode_of(home) == 0o700
    assert mode_of(store.path) == 0o600
    warned = " ".join(r.getMessage() for r in caplog.records)
    assert str(home) in warned
    assert str(store.path) in warned


def test_a_file_replaced_by_hand_with_a_wide_mode_is_tightened_on_read(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    with store.transaction() as doc:
        doc.accounts.append(stored_account("alice"))
    text = store.path.read_text()
    store.path.unlink()
    store.path.write_text(text)
    os.chmod(store.path, 0o644)

    assert len(store.read().accounts) == 1
    assert mode_of(store.path) == 0o600


def test_stale_temp_files_of_killed_writers_are_removed_by_the_next_write(home: Path) -> None:
    store = Store.open(home)
    leftovers = [home / ".accounts.json.deadbeef.tmp", home / ".accounts.json.0badc0de.tmp"]
    for path in leftovers:
        path.write_text('{"partial": ')
    unrelated = home / "notes.tmp"
    unrelated.write_text("mine")

    with store.transaction() as doc:
        doc.active = None

    assert not any(p.exists() for p in leftovers)
    assert unrelated.exists()
    assert store.read() == StoreDocument()


# -- transactions ----------------------------------------------------------------------


def test_transaction_writes_nothing_when_the_block_raises(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    with store.transaction() as doc:
        doc.accounts.append(stored_account("alice"))
    before = store.path.read_bytes()

    with pytest.raises(RuntimeError), store.transaction() as doc:
        doc.accounts.clear()
        raise RuntimeError("changed my mind")

    assert store.path.read_bytes() == before
    with store.transaction() as doc:  # the lock was released
        assert len(doc.accounts) == 1


def test_read_returns_copies_and_sees_other_writers(
    home: Path, stored_account: AccountFactory
) -> None:
    mine, theirs = Store.open(home), Store.open(home)
    with mine.transaction() as doc:
        doc.accounts.append(stored_account("alice"))

    first = mine.read()
    first.accounts.clear()
    assert len(mine.read().accounts) == 1

    with theirs.transaction() as doc:
        doc.accounts.append(stored_account("bob"))
    assert [a.email for a in mine.read().accounts] == ["alice@example.test", "bob@example.test"]


def test_peek_shares_one_document_until_the_file_changes(
    home: Path, stored_account: AccountFactory
) -> None:
    mine, theirs = Store.open(home), Store.open(home)
    with mine.transaction() as doc:
        doc.accounts.append(stored_account("alice"))

    assert mine.peek() is mine.peek()
    assert mine.peek() == mine.read()

    with theirs.transaction() as doc:
        doc.accounts.append(stored_account("bob"))
    assert [a.email for a in mine.peek().accounts] == ["alice@example.test", "bob@example.test"]


def test_a_transaction_that_raises_leaves_no_trace_in_what_peek_shares(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    with store.transaction() as doc:
        doc.accounts.append(stored_account("alice"))
    store.peek()

    with pytest.raises(RuntimeError), store.transaction() as doc:
        doc.accounts.clear()
        raise RuntimeError("changed my mind")

    assert [a.email for a in store.peek().accounts] == ["alice@example.test"]


def test_a_same_size_rewrite_by_hand_within_the_second_is_seen(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    with store.transaction() as doc:
        doc.accounts.append(stored_account("alice").model_copy(update={"label": "aaaa"}))
    assert store.peek().accounts[0].label == "aaaa"

    text = store.path.read_text(encoding="utf-8")
    write_raw(store, text.replace('"label": "aaaa"', '"label": "bbbb"'))

    assert store.path.stat().st_size == len(text.encode())
    assert store.peek().accounts[0].label == "bbbb"


def test_the_shared_document_keeps_no_record_of_which_fields_were_given(
    home: Path, stored_account: AccountFactory
) -> None:
    mine, theirs = Store.open(home), Store.open(home)
    with theirs.transaction() as doc:
        doc.accounts.append(stored_account("alice"))

    shared = mine.peek().accounts[0]
    assert shared.model_fields_set == set()
    assert shared.tokens.model_fields_set == set()
    with mine.transaction() as doc:
        doc.accounts[0].label = "work"

    assert shared.label is None
    assert theirs.read().accounts[0] == shared.model_copy(update={"label": "work"})


def test_a_stale_copy_never_overwrites_newer_data(
    home: Path, stored_account: AccountFactory
) -> None:
    mine, theirs = Store.open(home), Store.open(home)
    stale = mine.read()
    with theirs.transaction() as doc:
        doc.accounts.append(stored_account("bob"))

    with mine.transaction() as doc:
        assert [a.email for a in doc.accounts] == ["bob@example.test"]
        assert stale.accounts == []
        doc.accounts.append(stored_account("alice"))

    emails = {a.email for a in theirs.read().accounts}
    assert emails == {"alice@example.test", "bob@example.test"}


def test_a_document_that_does_not_validate_is_not_written(
    home: Path, stored_account: AccountFactory, mint: object
) -> None:
    store = Store.open(home)
    with store.transaction() as doc:
        doc.accounts.append(stored_account("alice"))
    before = store.path.read_bytes()
    secret = store.read().accounts[0].tokens.access_token

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with pytest.raises(StoreInvalidDocument) as caught, store.transaction() as doc:
            doc.accounts[0].tokens.expires_at = secret  # type: ignore[assignment]

    assert "expires_at" in str(caught.value)
    assert secret not in str(caught.value)
    signature = secret.rsplit(".", 1)[1]
    assert not [w for w in seen if signature[-12:] in str(w.message)]
    assert store.path.read_bytes() == before


def test_lock_wait_is_bounded(home: Path) -> None:
    holder, waiter = Store.open(home), Store.open(home, lock_timeout=0.2)
    entered, leave = threading.Event(), threading.Event()

    def hold() -> None:
        with holder.transaction():
            entered.set()
            leave.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert entered.wait(30)
        with pytest.raises(StoreLockTimeout) as caught, waiter.transaction():
            pass
        assert str(home / "accounts.json.lock") in str(caught.value)
    finally:
        leave.set()
        thread.join(30)
    with waiter.transaction():
        pass


async def test_async_transactions_of_one_loop_never_lose_an_update(home: Path) -> None:
    store = Store.open(home)

    async def bump() -> None:
        async with store.atransaction() as doc:
            value = doc.settings.usage_ttl_seconds
            await asyncio.sleep(0)
            doc.settings.usage_ttl_seconds = value + 1

    await asyncio.gather(*(bump() for _ in range(20)))
    assert store.read().settings.usage_ttl_seconds == 300 + 20


async def test_a_cancelled_async_transaction_writes_nothing_and_releases_the_lock(
    home: Path,
) -> None:
    store = Store.open(home)
    inside = asyncio.Event()

    async def slow() -> None:
        async with store.atransaction() as doc:
            doc.settings.usage_ttl_seconds = 1
            inside.set()
            await asyncio.sleep(60)

    task = asyncio.create_task(slow())
    await asyncio.wait_for(inside.wait(), 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async with store.atransaction() as doc:
        assert doc.settings.usage_ttl_seconds == 300
        doc.settings.usage_ttl_seconds = 7
    assert store.read().settings.usage_ttl_seconds == 7


# -- unusable documents ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "not valid JSON"),
        ("", "not valid JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"accounts": []}', "no version"),
        ('{"version": 0, "accounts": []}', "not a positive integer"),
        ('{"version": "1", "accounts": []}', "not a positive integer"),
    ],
)
def test_unusable_document_is_moved_aside_and_reported_until_acknowledged(
    home: Path, content: str, reason: str
) -> None:
    store = Store.open(home)
    write_raw(store, content)

    with pytest.raises(StoreCorruptError) as caught:
        store.read()

    report = caught.value
    assert reason in report.reason
    assert str(store.path) in str(report)
    assert str(report.moved_to) in str(report)
    assert report.moved_to.name.startswith("accounts.json.corrupt-")
    assert report.moved_to.read_text() == content
    assert mode_of(report.moved_to) == 0o600
    assert not store.path.exists()

    other_process = Store.open(home)
    with pytest.raises(StoreCorruptError) as again:
        other_process.read()
    assert again.value.moved_to == report.moved_to
    with pytest.raises(StoreCorruptError), other_process.transaction():
        pass
    assert other_process.quarantined() is not None

    acknowledged = other_process.acknowledge_corruption()
    assert acknowledged is not None
    assert acknowledged.moved_to == report.moved_to
    assert store.read() == StoreDocument()
    with store.transaction() as doc:
        doc.active = None
    assert store.read() == StoreDocument()
    assert report.moved_to.read_text() == content


def test_a_reader_that_finds_the_document_moved_aside_finds_the_report_too(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readers take no lock: the instant the document is gone, the marker must be there,
    or another process would take the pool for an empty one."""
    store = Store.open(home)
    write_raw(store, "{truncated")
    other_process = Store.open(home)
    seen_by_the_other: list[BaseException | None] = []
    rename = os.rename

    def rename_then_look(source: object, target: object) -> None:
        rename(source, target)  # type: ignore[arg-type]
        try:
            other_process.read()
            seen_by_the_other.append(None)
        except StoreCorruptError as exc:
            seen_by_the_other.append(exc)

    monkeypatch.setattr(os, "rename", rename_then_look)
    with pytest.raises(StoreCorruptError) as caught:
        store.read()

    [seen] = seen_by_the_other
    assert isinstance(seen, StoreCorruptError)
    assert seen.moved_to == caught.value.moved_to


def test_corruption_found_inside_a_transaction_is_moved_aside_too(home: Path) -> None:
    store = Store.open(home)
    write_raw(store, "{truncated")
    with pytest.raises(StoreCorruptError) as caught, store.transaction():
        pytest.fail("the block must not run on a corrupt document")
    assert caught.value.moved_to.read_text() == "{truncated"


def test_a_pi_multicodex_file_is_moved_aside_as_importable(
    home: Path, mint: object, stored_account: AccountFactory
) -> None:
    account = stored_account("alice")
    legacy = {
        "accounts": [
            {
                "email": "alice@example.test",
                "accessToken": account.tokens.access_token,
                "refreshToken": account.tokens.refresh_token,
                "expiresAt": 1_790_864_000_000,
            }
        ]
    }
    store = Store.open(home)
    write_raw(store, json.dumps(legacy))

    with pytest.raises(StoreCorruptError) as caught:
        store.read()

    report = caught.value
    assert report.foreign_format == "pi-multicodex"
    assert report.moved_to.name.startswith("accounts.json.pi-multicodex-")
    assert "pi-multicodex" in str(report)
    assert account.tokens.access_token not in str(report)
    imported = read_pi_multicodex(report.moved_to)
    assert [c.claims.email for c in imported] == ["alice@example.test"]


def test_a_newer_version_is_neither_read_nor_written(home: Path) -> None:
    store = Store.open(home)
    newer = json.dumps({"version": 2, "accounts": [], "future": {"shape": True}})
    write_raw(store, newer)

    with pytest.raises(StoreNewerVersionError) as caught:
        store.read()
    assert "newer MultiCodex" in str(caught.value)
    assert str(store.path) in str(caught.value)
    with pytest.raises(StoreNewerVersionError), store.transaction():
        pytest.fail("the block must not run on a newer document")

    assert store.path.read_text() == newer
    assert sorted(p.name for p in home.iterdir() if p.name.startswith("accounts.json.")) == [
        "accounts.json.lock"
    ]


class SlowWriteStore(Store):
    """A store whose disk write takes a while, so a cancellation can land in the middle."""

    writing = threading.Event()

    def _write_locked(self, document: StoreDocument) -> None:
        self.writing.set()
        time.sleep(0.3)
        super()._write_locked(document)


async def test_cancelling_during_the_write_keeps_the_lock_until_the_write_is_done(
    home: Path,
) -> None:
    Store.open(home)
    store = SlowWriteStore(home)
    store.writing = threading.Event()

    async def commit() -> None:
        async with store.atransaction() as doc:
            doc.settings.usage_ttl_seconds = 42

    task = asyncio.create_task(commit())
    assert await asyncio.to_thread(store.writing.wait, 30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async with Store(home).atransaction() as doc:  # may enter only once the write landed
        assert doc.settings.usage_ttl_seconds == 42
