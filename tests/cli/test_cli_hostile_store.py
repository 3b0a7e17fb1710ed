"""Hostile files at the store's path, from the command line: a document nested too deeply
is moved aside like any corrupt one (verify fails its check, recover starts empty); a named
pipe is refused at once, never waited on; a symbolic link is refused and the file it points
to is left as it was; lock files are 0600."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_rig import CliRig

from multicodex.store.document import Store

RECOVER = "multicodex recover --start-empty"
DEEP = '{"version": 1, "accounts": ' + "[" * 100_000


def mode_of(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def moved_files(cli: CliRig) -> list[Path]:
    return sorted(cli.home.glob("accounts.json.corrupt-*"))


@pytest.fixture
def wide_umask() -> Iterator[None]:
    """No umask for the commands started meanwhile: a file they create without an
    explicit mode would be 0666."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_deeply_nested_store_is_moved_aside_then_verify_fails_and_recover_starts_empty(
    cli: CliRig,
) -> None:
    cli.seed("alice")
    (cli.home / "accounts.json").write_text(DEEP)

    listing = cli.run("accounts", "--cached")
    [moved] = moved_files(cli)
    assert listing.code == 1 and listing.stdout == ""
    failure = listing.stderr.strip().splitlines()[-1]
    assert failure.startswith("multicodex accounts: ")
    assert "(nested too deeply)" in failure and str(moved) in failure and RECOVER in failure
    assert moved.read_text() == DEEP

    verify = cli.run("verify")
    assert verify.code == 1
    assert (
        f"  [FAIL] store document: unusable (nested too deeply), moved to {moved}; start with "
        f"an empty store: `{RECOVER}` (in the editor: Start with an empty store)\n"
    ) in verify.stdout

    recovered = cli.run("recover", "--start-empty", "--json")
    assert recovered.code == 0, recovered.stderr
    assert recovered.json()["reason"] == "nested too deeply"
    assert recovered.json()["moved_to"] == str(moved)

    after = cli.run("accounts", "--json", "--cached")
    assert after.code == 0 and after.json()["no_accounts"] is True
    assert moved.read_text() == DEEP


def test_a_named_pipe_at_the_store_path_is_refused_at_once(cli: CliRig) -> None:
    cli.home.mkdir(mode=0o700, parents=True)
    fifo = cli.home / "accounts.json"
    os.mkfifo(fifo, 0o600)
    expected = (
        f"{fifo} is a named pipe (FIFO), which MultiCodex cannot use; it was left as it is. "
        "Remove or rename it, then try again."
    )
    try:
        # The rig bounds every run: a command waiting on the pipe fails the test. (verify
        # reports it as a failed check: tests/cli/test_cli_truthful.py.)
        for args in (
            ("accounts",),
            ("status", "--cached"),
            ("recover", "--start-empty"),
        ):
            result = cli.run(*args)
            assert result.code == 1, (args, result.stderr)
            assert result.one_line_error() == f"multicodex {args[0]}: {expected}"
            assert result.stdout == ""
        assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
        assert moved_files(cli) == []
    finally:
        fifo.unlink()  # nothing (the rig's own checks included) may wait on it after the test
    assert cli.run("accounts", "--cached").code == 0


def test_a_linked_store_is_refused_and_the_file_it_points_to_is_untouched(cli: CliRig) -> None:
    cli.seed("alice")
    elsewhere = cli.root / "dotfiles" / "accounts.json"
    elsewhere.parent.mkdir()
    (cli.home / "accounts.json").rename(elsewhere)
    elsewhere.chmod(0o644)
    before = elsewhere.read_bytes()
    link = cli.home / "accounts.json"
    link.symlink_to(elsewhere)

    for result in cli.run_many(("accounts",), ("use", "alice"), ("refresh", "--all")):
        assert result.code == 1, (result.args, result.stderr)
        line = result.one_line_error()
        assert f"{link} is a symbolic link (to {elsewhere})" in line
        assert "MULTICODEX_HOME" in line
    assert elsewhere.read_bytes() == before and mode_of(elsewhere) == 0o644
    assert link.is_symlink() and moved_files(cli) == []

    # What the message suggests: the directory the link points into as the home.
    there = cli.run("accounts", "--cached", "--home", str(elsewhere.parent))
    assert there.code == 0, there.stderr
    assert "alice@example.test" in there.stdout


@pytest.mark.usefixtures("wide_umask")
def test_every_lock_file_is_0600_after_a_refresh_and_a_usage_write(cli: CliRig) -> None:
    cli.seed("alice")
    cli.seed("bob")
    with Store.open(cli.home).transaction() as doc:
        doc.accounts[0].tokens.expires_at = time.time() - 60  # alice's token is refreshed

    refreshed = cli.run("refresh", "--all")
    assert refreshed.code == 0, refreshed.stderr
    stored = cli.stored().accounts
    assert stored[0].tokens.expires_at > time.time()
    assert all(a.usage is not None for a in stored)

    account_locks = sorted((cli.home / "locks").glob("*.lock"))
    assert {p.name.split("-")[0] for p in account_locks} == {"refresh", "usage"}
    lock_files = [*cli.home.glob("*.lock"), *account_locks]
    assert cli.home / "accounts.json.lock" in lock_files
    assert {p.name: mode_of(p) for p in lock_files} == {p.name: 0o600 for p in lock_files}
