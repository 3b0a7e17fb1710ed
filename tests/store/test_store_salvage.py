"""A store document that parses but is partly invalid keeps its good parts: invalid
settings fall back to their defaults, an invalid account is set aside in a side file
(verbatim, 0600, written once) while the others load, each repair is logged once, and the
next write saves the repaired document without losing the side file."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from multicodex.model import StoredAccount
from multicodex.store import document as document_module
from multicodex.store.document import Store
from multicodex.store.errors import StoreCorruptError, StoreUnreadableError
from multicodex.store.salvage import REPAIR_LOGGER, FieldFallback

AccountFactory = Callable[..., StoredAccount]
Raw = dict[str, Any]


def raw_document(*accounts: StoredAccount, **top: Any) -> Raw:
    return {
        "version": 1,
        "accounts": [a.model_dump(mode="json") for a in accounts],
        **top,
    }


def write_raw(store: Store, data: Raw) -> bytes:
    store.path.write_text(json.dumps(data, indent=2))
    os.chmod(store.path, 0o600)
    return store.path.read_bytes()


def side_files(home: Path) -> list[Path]:
    return sorted(home.glob("accounts.json.set-aside-*.json"))


def repair_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == REPAIR_LOGGER]


def broken_copy(account: StoredAccount, change: Callable[[Raw], Any]) -> Raw:
    entry = account.model_dump(mode="json")
    change(entry)
    return entry


# -- settings ----------------------------------------------------------------------------


def test_an_invalid_setting_falls_back_to_its_default_and_nothing_else_changes(
    home: Path, stored_account: AccountFactory, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(home)
    settings = {
        "footer": {"usage_mode": "bogus", "order": "usage-first"},
        "rotation": {"retry_limit": 99, "sticky": False},
        "usage_ttl_seconds": 120,
    }
    data = raw_document(stored_account("alice"), stored_account("bob"), settings=settings)
    before = write_raw(store, data)

    document = store.read()
    store.read()
    Store.open(home).peek()  # another reader in the same process

    assert [a.email for a in document.accounts] == ["alice@example.test", "bob@example.test"]
    assert document.settings.footer.usage_mode == "left"
    assert document.settings.footer.order == "usage-first"
    assert document.settings.rotation.retry_limit == 5
    assert document.settings.rotation.sticky is False
    assert document.settings.usage_ttl_seconds == 120
    assert [f.field for f in store.repairs().fallbacks] == [
        "settings.footer.usage_mode",
        "settings.rotation.retry_limit",
    ]
    assert store.repairs().set_aside == ()
    assert store.path.read_bytes() == before, "a read must not rewrite the document"
    assert side_files(home) == []
    lines = repair_lines(caplog)
    assert len(lines) == 4, lines  # each problem once per store, and two stores read it
    assert "settings.footer.usage_mode is not valid (must be 'left' or 'used')" in lines[0]
    assert all("bogus" not in line for line in lines)


@pytest.mark.parametrize("settings", ["loud", [1, 2], None])
def test_a_wholly_invalid_settings_object_is_all_defaults(
    home: Path, stored_account: AccountFactory, settings: Any
) -> None:
    store = Store.open(home)
    write_raw(store, raw_document(stored_account("alice"), settings=settings))

    document = store.read()

    assert document.settings == type(document.settings)()
    assert [a.email for a in document.accounts] == ["alice@example.test"]
    assert [f.field for f in store.repairs().fallbacks] == ["settings"]


def test_a_pin_or_active_account_that_names_nobody_is_cleared(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    alice = stored_account("alice")
    write_raw(store, raw_document(alice, pinned="gone|acct-gone", active=7))

    document = store.read()

    assert document.pinned is None and document.active is None
    assert store.repairs().fallbacks == (FieldFallback("active", "must be text"),)


# -- accounts ----------------------------------------------------------------------------


def _without_tokens(entry: Raw) -> None:
    del entry["tokens"]


def _added_yesterday(entry: Raw) -> None:
    entry["added_at"] = "yesterday"


def _unknown_source(entry: Raw) -> None:
    entry["source"] = {"kind": "somewhere", "path": "/x"}


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (_without_tokens, "tokens is required"),
        (_added_yesterday, "added_at must be a number"),
        (_unknown_source, "source.kind must be"),
    ],
)
def test_an_invalid_account_is_set_aside_verbatim_and_the_others_load(
    home: Path,
    stored_account: AccountFactory,
    caplog: pytest.LogCaptureFixture,
    change: Callable[[Raw], None],
    reason: str,
) -> None:
    store = Store.open(home)
    bob = stored_account("bob")
    broken = broken_copy(bob, change)
    data = raw_document(stored_account("alice"), stored_account("carol"))
    data["accounts"].insert(1, broken)
    before = write_raw(store, data)

    document = store.read()

    assert [a.email for a in document.accounts] == ["alice@example.test", "carol@example.test"]
    [side_file] = side_files(home)
    assert stat.S_IMODE(side_file.stat().st_mode) == 0o600
    kept = json.loads(side_file.read_text())
    assert kept["store_file"] == str(store.path)
    [entry] = kept["accounts"]
    assert entry["entry"] == broken
    assert entry["index"] == 1
    assert entry["name"] == "account #2 (bob@example.test)"
    assert reason in entry["reason"]
    [set_aside] = store.repairs().set_aside
    assert set_aside.side_file == side_file and set_aside.name == entry["name"]
    assert store.path.read_bytes() == before, "a read must not rewrite the document"
    [line] = repair_lines(caplog)
    assert "account #2 (bob@example.test) is not usable" in line and str(side_file) in line


def test_entries_that_are_no_object_or_repeat_a_key_are_set_aside(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    alice = stored_account("alice")
    newer_alice = alice.model_copy(update={"label": "again"})
    write_raw(store, raw_document(alice, newer_alice))
    data = json.loads(store.path.read_text())
    data["accounts"].append("rt_not_an_account")
    write_raw(store, data)

    document = store.read()

    assert [a.label for a in document.accounts] == [None]
    reasons = {a.name: a.reason for a in store.repairs().set_aside}
    assert reasons == {
        "account #2 (alice@example.test)": "the same key as account #1",
        "account #3": "the entry must be an object",
    }
    [side_file] = side_files(home)
    assert [e["entry"] for e in json.loads(side_file.read_text())["accounts"]] == [
        newer_alice.model_dump(mode="json"),
        "rt_not_an_account",
    ]


def test_an_accounts_value_that_is_not_a_list_is_set_aside_whole(home: Path) -> None:
    store = Store.open(home)
    write_raw(
        store, {"version": 1, "accounts": {"alice": {}}, "settings": {"usage_ttl_seconds": 60}}
    )

    document = store.read()

    assert document.accounts == [] and document.settings.usage_ttl_seconds == 60
    [side_file] = side_files(home)
    [entry] = json.loads(side_file.read_text())["accounts"]
    assert entry["index"] is None and entry["entry"] == {"alice": {}}


def test_the_same_entries_are_kept_aside_once_however_often_they_are_read(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    broken = broken_copy(stored_account("bob"), _without_tokens)
    data = raw_document(stored_account("alice"))
    data["accounts"].append(broken)
    write_raw(store, data)

    for reader in (store, Store.open(home), Store.open(home)):
        assert len(reader.peek().accounts) == 1
    with Store.open(home).transaction():
        pass

    assert len(side_files(home)) == 1


def test_the_next_write_saves_the_repaired_document_and_the_side_file_stays(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    alice, bob = stored_account("alice"), stored_account("bob")
    broken = broken_copy(bob, _added_yesterday)
    data = raw_document(alice, settings={"footer": {"usage_mode": "bogus"}})
    data["accounts"].append(broken)
    data["pinned"] = bob.key
    write_raw(store, data)
    store.read()
    [side_file] = side_files(home)
    kept = side_file.read_bytes()

    with store.transaction() as doc:
        doc.accounts[0].label = "Work"

    on_disk = json.loads(store.path.read_text())
    assert [a["email"] for a in on_disk["accounts"]] == ["alice@example.test"]
    assert on_disk["settings"]["footer"]["usage_mode"] == "left"
    assert on_disk["pinned"] is None
    assert side_file.read_bytes() == kept
    fresh = Store.open(home)
    assert not fresh.repairs()
    assert [f.path for f in fresh.set_aside_files()] == [side_file]
    [found] = fresh.set_aside_files()
    assert found.content is not None and found.content.accounts[0].entry == broken
    assert store.repairs_found().set_aside[0].side_file == side_file  # still said


def test_accounts_that_cannot_be_kept_aside_are_not_dropped(
    home: Path, stored_account: AccountFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store.open(home)
    data = raw_document(stored_account("alice"))
    data["accounts"].append(broken_copy(stored_account("bob"), _without_tokens))
    before = write_raw(store, data)

    def disk_full(*_args: Any) -> Path:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(document_module, "keep_aside", disk_full)
    with pytest.raises(StoreUnreadableError) as caught:
        store.read()
    with pytest.raises(StoreUnreadableError), store.transaction():
        pytest.fail("the block must not run while the entries are not kept")

    assert "No space left on device" in str(caught.value)
    assert store.path.read_bytes() == before
    assert side_files(home) == []


def test_a_document_whose_version_is_wrong_is_still_moved_aside(home: Path) -> None:
    store = Store.open(home)
    write_raw(store, {"version": "one", "settings": {"footer": {"usage_mode": "bogus"}}})
    with pytest.raises(StoreCorruptError, match="not a positive integer"):
        store.read()
    assert side_files(home) == []


def test_no_token_of_a_set_aside_entry_reaches_the_log(
    home: Path,
    stored_account: AccountFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = Store.open(home)
    bob = stored_account("bob")
    broken = broken_copy(bob, lambda e: e["tokens"].update(expires_at="soon"))
    broken["email"] = bob.tokens.refresh_token  # not an email: never used as its name
    data = raw_document(stored_account("alice"))
    data["accounts"].append(broken)
    write_raw(store, data)
    caplog.set_level(logging.DEBUG)

    store.read()

    [set_aside] = store.repairs().set_aside
    assert set_aside.name == "account #2"
    assert bob.tokens.refresh_token not in repr(set_aside)
    assert bob.tokens.access_token not in " ".join(repair_lines(caplog))
