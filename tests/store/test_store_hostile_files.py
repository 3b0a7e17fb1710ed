"""Hostile files at the store's paths: JSON nested too deeply for the parser, a named pipe
or another non-regular file, a symbolic link to a file elsewhere, and the modes of lock
files. Each is met with a clear refusal or a recoverable quarantine, never a hang or a
crash, and nothing outside the store's directory is read through a link or changed."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from multicodex.auth.importers import read_codex_cli
from multicodex.auth.importers.common import CredentialsFormatError
from multicodex.model import StoredAccount
from multicodex.pool.locks import AccountLocks, lock_directory
from multicodex.store.atomic import tighten_mode
from multicodex.store.document import Store
from multicodex.store.errors import StoreCorruptError, StoreFileRefused

if TYPE_CHECKING:
    from conftest import TokenMint

AccountFactory = Callable[..., StoredAccount]
DEEP = "[" * 100_000
HANG_GUARD_SECONDS = 30.0
"""How long a call may take before the test calls it hung (a bound, not a speed claim)."""
OUTSIDE_CONTENT = "someone else's file\n"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def finishes(call: Callable[[], Any], fifo: Path | None = None) -> Any:
    """What ``call`` returns or raises, run in a thread that must finish within the guard.

    If it does not (it is blocked opening ``fifo``), the FIFO is opened for writing once so
    the thread can end, and the test fails.
    """
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the test below
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(HANG_GUARD_SECONDS)
    if worker.is_alive():
        if fifo is not None:
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(HANG_GUARD_SECONDS)
        pytest.fail(f"still running after {HANG_GUARD_SECONDS:g} s")
    [result] = outcome
    return result


def refused(call: Callable[[], Any], fifo: Path | None = None) -> StoreFileRefused:
    result = finishes(call, fifo)
    assert isinstance(result, StoreFileRefused), result
    return result


def written_transaction(store: Store) -> None:
    with store.transaction() as doc:
        doc.settings.usage_ttl_seconds = 60


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A file outside the store's directory that a link in it points to (mode 0644)."""
    path = tmp_path / "elsewhere" / "precious.json"
    path.parent.mkdir()
    path.write_text(OUTSIDE_CONTENT)
    path.chmod(0o644)
    return path


@pytest.fixture
def wide_umask() -> Iterator[None]:
    """No umask, so a file created without an explicit mode would be 0666."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def assert_untouched(outside: Path) -> None:
    assert outside.read_text() == OUTSIDE_CONTENT
    assert mode_of(outside) == 0o644


# -- deep nesting ----------------------------------------------------------------------


def test_a_deeply_nested_document_is_moved_aside_as_corrupt(
    home: Path, stored_account: AccountFactory
) -> None:
    store = Store.open(home)
    with store.transaction() as doc:
        doc.accounts.append(stored_account("alice"))
    store.path.write_text(DEEP)

    with pytest.raises(StoreCorruptError) as corrupt:
        store.read()
    assert corrupt.value.reason == "nested too deeply"
    assert "nested too deeply" in str(corrupt.value)
    assert corrupt.value.moved_to.read_text() == DEEP
    assert not store.path.exists()
    with pytest.raises(StoreCorruptError):
        Store.open(home).read()  # every process is told, until someone acknowledges it

    assert store.acknowledge_corruption() is not None
    assert store.read().accounts == []
    assert corrupt.value.moved_to.read_text() == DEEP


def test_a_deeply_nested_quarantine_marker_still_reports_the_moved_document(home: Path) -> None:
    store = Store.open(home)
    store.quarantine_path.write_text(DEEP)
    with pytest.raises(StoreCorruptError) as corrupt:
        store.read()
    assert corrupt.value.moved_to == Path("(unknown)")
    assert store.acknowledge_corruption() is not None
    assert store.read().accounts == []


# -- named pipes and other files that are not regular ----------------------------------


def test_a_fifo_at_the_document_path_is_refused_at_once_and_left_alone(home: Path) -> None:
    store = Store.open(home)
    os.mkfifo(store.path, 0o600)

    for call in (store.read, lambda: written_transaction(store)):
        failure = refused(call, store.path)
        assert str(failure) == (
            f"{store.path} is a named pipe (FIFO), which MultiCodex cannot use; it was left "
            "as it is. Remove or rename it, then try again."
        )
    assert stat.S_ISFIFO(os.lstat(store.path).st_mode)
    assert sorted(p.name for p in home.iterdir() if p.name.startswith("accounts.json.")) == [
        "accounts.json.lock"
    ]

    store.path.unlink()
    written_transaction(store)
    assert store.read().settings.usage_ttl_seconds == 60


def test_a_directory_or_a_socket_at_the_document_path_is_refused(home: Path) -> None:
    store = Store.open(home)
    store.path.mkdir()
    assert "is a directory" in str(refused(store.read))
    store.path.rmdir()

    if len(str(store.path)) >= 100:
        pytest.skip("the path is too long for a Unix socket")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(store.path))
        assert "is a socket" in str(refused(store.read))
        assert "is a socket" in str(refused(lambda: written_transaction(store)))


def test_a_fifo_at_the_lock_quarantine_or_schema_path_never_blocks(home: Path) -> None:
    store = Store.open(home)
    os.mkfifo(store.lock_path, 0o600)
    assert "accounts.json.lock is a named pipe" in str(
        refused(lambda: written_transaction(store), store.lock_path)
    )
    store.lock_path.unlink()

    os.mkfifo(store.quarantine_path, 0o600)
    assert "accounts.json.quarantine is a named pipe" in str(
        refused(store.read, store.quarantine_path)
    )
    store.quarantine_path.unlink()

    store.schema_path.unlink()
    os.mkfifo(store.schema_path, 0o600)
    reopened = finishes(lambda: Store.open(home), store.schema_path)
    assert isinstance(reopened, Store)
    written_transaction(reopened)
    assert stat.S_ISFIFO(os.lstat(store.schema_path).st_mode)


# -- symbolic links --------------------------------------------------------------------


def test_a_linked_document_is_refused_and_the_file_it_points_to_is_untouched(
    home: Path, outside: Path
) -> None:
    home.mkdir(mode=0o700)
    (home / "accounts.json").symlink_to(outside)
    store = Store.open(home)  # tightens the modes of the store's files: not through links

    for call in (store.read, lambda: written_transaction(store)):
        failure = refused(call)
        assert str(failure).startswith(
            f"{store.path} is a symbolic link (to {outside}); MultiCodex follows no links"
        )
    assert_untouched(outside)
    assert store.path.is_symlink()
    assert not list(home.glob("accounts.json.corrupt-*"))


def test_links_at_the_lock_and_quarantine_paths_are_refused(home: Path, outside: Path) -> None:
    store = Store.open(home)
    store.lock_path.symlink_to(outside)
    store.quarantine_path.symlink_to(outside)
    store = Store.open(home)

    assert "accounts.json.lock is a symbolic link" in str(
        refused(lambda: written_transaction(store))
    )
    assert "accounts.json.quarantine is a symbolic link" in str(refused(store.read))
    assert_untouched(outside)


def test_a_linked_schema_file_is_left_alone_with_a_warning(
    home: Path, outside: Path, caplog: pytest.LogCaptureFixture
) -> None:
    home.mkdir(mode=0o700)
    (home / "accounts.schema.json").symlink_to(outside)
    with caplog.at_level(logging.WARNING, logger="multicodex.store"):
        store = Store.open(home)
    written_transaction(store)

    assert store.read().settings.usage_ttl_seconds == 60
    assert_untouched(outside)
    assert store.schema_path.is_symlink()
    assert any(
        "accounts.schema.json is a symbolic link" in r.getMessage()
        and "JSON Schema file was not written" in r.getMessage()
        for r in caplog.records
    )


def test_tightening_a_mode_never_follows_a_link(tmp_path: Path, outside: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(outside)
    assert tighten_mode(link, 0o600) is False
    assert_untouched(outside)

    own = tmp_path / "own"
    own.write_text("x")
    own.chmod(0o644)
    assert tighten_mode(own, 0o600) is True
    assert mode_of(own) == 0o600


def test_a_linked_home_directory_is_the_directory_it_points_to(tmp_path: Path) -> None:
    real = tmp_path / "real-home"
    real.mkdir(mode=0o755)
    linked = tmp_path / "linked-home"
    linked.symlink_to(real, target_is_directory=True)

    store = Store.open(linked)
    written_transaction(store)
    assert mode_of(real) == 0o700
    assert (real / "accounts.json").is_file()
    assert Store.open(real).read().settings.usage_ttl_seconds == 60


# -- lock files ------------------------------------------------------------------------


@pytest.mark.usefixtures("wide_umask")
def test_lock_files_are_created_0600(home: Path) -> None:
    store = Store.open(home)
    written_transaction(store)
    locks = AccountLocks(lock_directory(home))

    async def hold_both() -> None:
        for purpose in ("refresh", "usage"):
            async with locks.hold("alice@example.test|acct-alice", purpose):
                pass

    asyncio.run(hold_both())
    account_locks = sorted(lock_directory(home).iterdir())
    assert len(account_locks) == 2
    assert {path: mode_of(path) for path in [store.lock_path, *account_locks]} == {
        path: 0o600 for path in [store.lock_path, *account_locks]
    }
    assert mode_of(lock_directory(home)) == 0o700


def test_an_account_lock_an_older_version_left_0644_is_tightened(home: Path) -> None:
    locks = AccountLocks(lock_directory(home))

    async def hold() -> None:
        async with locks.hold("alice@example.test|acct-alice", "usage"):
            pass

    asyncio.run(hold())
    [lock_file] = lock_directory(home).iterdir()
    lock_file.chmod(0o644)
    asyncio.run(hold())
    assert mode_of(lock_file) == 0o600


def test_a_link_at_an_account_lock_or_the_lock_directory_is_refused(
    home: Path, outside: Path
) -> None:
    locks = AccountLocks(lock_directory(home))

    async def hold() -> None:
        async with locks.hold("alice@example.test|acct-alice", "usage"):
            pass

    asyncio.run(hold())
    [lock_file] = lock_directory(home).iterdir()
    lock_file.unlink()
    lock_file.symlink_to(outside)
    with pytest.raises(StoreFileRefused, match=r"\.lock is a symbolic link"):
        asyncio.run(hold())
    assert_untouched(outside)

    lock_file.unlink()
    lock_directory(home).rmdir()
    lock_directory(home).symlink_to(outside.parent, target_is_directory=True)
    with pytest.raises(StoreFileRefused, match=r"locks is a symbolic link"):
        asyncio.run(hold())
    assert sorted(p.name for p in outside.parent.iterdir()) == ["precious.json"]


# -- other tools' credential files -----------------------------------------------------


def test_a_fifo_or_deeply_nested_credential_file_is_refused_at_once(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo" / "auth.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo, 0o600)
    failure = finishes(lambda: read_codex_cli(fifo), fifo)
    assert isinstance(failure, CredentialsFormatError)
    assert str(failure) == f"{fifo} is a named pipe (FIFO), not Codex CLI credentials"

    nested = tmp_path / "nested" / "auth.json"
    nested.parent.mkdir()
    nested.write_text('{"tokens": ' + DEEP)
    with pytest.raises(CredentialsFormatError) as deep:
        read_codex_cli(nested)
    assert str(deep.value) == f"{nested} is nested too deeply to be Codex CLI credentials"


def test_a_fifo_as_the_codex_cli_config_does_not_block_an_import(
    tmp_path: Path, mint: TokenMint
) -> None:
    minted = mint.tokens()
    auth = tmp_path / "codex" / "auth.json"
    auth.parent.mkdir()
    tokens = {
        "id_token": minted.id_token,
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
    }
    auth.write_text(json.dumps({"tokens": tokens}))
    os.mkfifo(auth.parent / "config.toml", 0o600)
    imported = finishes(lambda: read_codex_cli(auth), auth.parent / "config.toml")
    assert imported.claims.email == minted.email
