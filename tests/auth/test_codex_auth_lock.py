"""MultiCodex writes a linked Codex CLI auth.json only under the CLI's own commit lock.

The other side of the lock is a helper process that takes it exactly as the Codex CLI
does (``flock`` on ``$CODEX_HOME/auth.lock``, then on ``auth.json.lock``; see
docs/codex-auth-lock.md), holds it until told to go on, and can commit tokens of its own
before letting go, as a CLI finishing a refresh would.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from multicodex.auth.importers import (
    CredentialImportError,
    CredentialsLockedError,
    CredentialsNotFoundError,
    codex_lock,
    read_codex_cli,
    write_back,
)
from multicodex.auth.importers.codex_cli import write_back_codex_cli
from multicodex.model import AccountLink, TokenSet

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock is POSIX")

HELPER_TIMEOUT = 30.0
# What a Codex CLI does to commit a refresh: both locks in its order, then (optionally) a
# new auth.json through a temp file and a rename, then it waits to be told to let go.
CLI_LIKE_HOLDER = r"""
import fcntl, json, os, sys
home, names, commit = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
fds = []
for name in names:
    fd = os.open(os.path.join(home, name), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    fds.append(fd)
print("held", flush=True)
sys.stdin.readline()
if commit:
    temp = os.path.join(home, ".auth-commit")
    with open(temp, "w") as handle:
        handle.write(commit)
    os.replace(temp, os.path.join(home, "auth.json"))
print("released", flush=True)
"""
# Exit 0 when both locks can be taken at once (nobody holds them), 1 otherwise.
TRY_BOTH_LOCKS = r"""
import fcntl, os, sys
for name in ("auth.lock", "auth.json.lock"):
    fd = os.open(os.path.join(sys.argv[1], name), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        sys.exit(1)
"""


class CliLikeHolder:
    """A separate process holding the Codex CLI's lock(s) until `let_go`."""

    def __init__(self, home: Path, names: tuple[str, ...], commit: dict[str, Any] | None):
        self._process = subprocess.Popen(
            [sys.executable, "-c", CLI_LIKE_HOLDER, str(home), ",".join(names), _dump(commit)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        assert self._process.stdout.readline() == "held\n"

    def let_go(self) -> None:
        out, _ = self._process.communicate("go\n", timeout=HELPER_TIMEOUT)
        assert out == "released\n"

    def stop(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=HELPER_TIMEOUT)


@pytest.fixture
def cli_holding(tmp_path: Path) -> Iterator[Callable[..., CliLikeHolder]]:
    holders: list[CliLikeHolder] = []

    def start(
        names: tuple[str, ...] = ("auth.lock", "auth.json.lock"),
        commit: dict[str, Any] | None = None,
    ) -> CliLikeHolder:
        holder = CliLikeHolder(tmp_path / "codex-home", names, commit)
        holders.append(holder)
        return holder

    yield start
    for holder in holders:
        holder.stop()


@pytest.fixture
def lock_polled(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Set once MultiCodex has found the lock taken and started waiting for it."""
    polled = threading.Event()
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        polled.set()
        real_sleep(seconds)

    monkeypatch.setattr(codex_lock.time, "sleep", sleep)
    return polled


@pytest.fixture
def tokens_issued(make_access_token: Callable[..., str]) -> Callable[[int, str], TokenSet]:
    """The account's tokens from a refresh at ``issued`` (unix seconds)."""

    def issue(issued: int, refresh_token: str) -> TokenSet:
        access = make_access_token("acct-lock", email="lock@example.test", exp=issued + 864000)
        return TokenSet(
            access_token=access, refresh_token=refresh_token, expires_at=issued + 864000
        )

    return issue


def codex_auth_document(tokens: TokenSet) -> dict[str, Any]:
    return {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": None,
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "account_id": "acct-lock",
        },
        "last_refresh": "2026-11-20T10:00:00.000000Z",
    }


@pytest.fixture
def linked(tmp_path: Path, tokens_issued: Callable[[int, str], TokenSet]) -> AccountLink:
    """A Codex CLI login at tmp_path/codex-home/auth.json, imported and linked."""
    auth = tmp_path / "codex-home" / "auth.json"
    auth.parent.mkdir()
    auth.write_text(json.dumps(codex_auth_document(tokens_issued(1_800_000_000, "rt-start"))))
    auth.chmod(0o600)
    link = read_codex_cli(auth).link
    assert link is not None
    return link


def stored_refresh_token(link: AccountLink) -> str:
    data = json.loads(Path(link.path).read_text())
    token: str = data["tokens"]["refresh_token"]
    return token


def in_thread(work: Callable[[], None]) -> tuple[threading.Thread, list[BaseException]]:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, errors


def test_write_back_waits_while_the_cli_holds_its_lock_and_writes_after_release(
    linked: AccountLink,
    cli_holding: Callable[..., CliLikeHolder],
    lock_polled: threading.Event,
    tokens_issued: Callable[[int, str], TokenSet],
) -> None:
    holder = cli_holding(names=("auth.lock",))
    ours = tokens_issued(1_800_100_000, "rt-multicodex")

    thread, errors = in_thread(lambda: write_back(linked, ours))

    assert lock_polled.wait(HELPER_TIMEOUT), "write-back never found the lock taken"
    assert thread.is_alive()
    assert stored_refresh_token(linked) == "rt-start"
    holder.let_go()
    thread.join(HELPER_TIMEOUT)
    assert not thread.is_alive() and errors == []
    assert stored_refresh_token(linked) == "rt-multicodex"


def test_tokens_the_cli_commits_while_we_wait_are_kept_not_overwritten(
    linked: AccountLink,
    cli_holding: Callable[..., CliLikeHolder],
    lock_polled: threading.Event,
    tokens_issued: Callable[[int, str], TokenSet],
) -> None:
    """Both tools refreshed; the CLI commits first. Its pair is the later one, so our
    write-back, re-reading under the lock, leaves it in place."""
    theirs = codex_auth_document(tokens_issued(1_800_200_000, "rt-cli"))
    holder = cli_holding(commit=theirs)
    ours = tokens_issued(1_800_100_000, "rt-multicodex")

    thread, errors = in_thread(
        lambda: write_back_codex_cli(Path(linked.path), ours, _key(linked), None)
    )

    assert lock_polled.wait(HELPER_TIMEOUT)
    holder.let_go()
    thread.join(HELPER_TIMEOUT)
    assert not thread.is_alive()
    [refused] = errors
    assert isinstance(refused, CredentialImportError)
    assert "holds newer tokens" in str(refused)
    assert stored_refresh_token(linked) == "rt-cli"


def test_write_back_gives_up_after_its_wait_and_leaves_auth_json_untouched(
    linked: AccountLink,
    cli_holding: Callable[..., CliLikeHolder],
    tokens_issued: Callable[[int, str], TokenSet],
) -> None:
    cli_holding(names=("auth.json.lock",))
    before = Path(linked.path).read_bytes()
    ours = tokens_issued(1_800_100_000, "rt-multicodex")

    with pytest.raises(CredentialsLockedError) as refused:
        write_back_codex_cli(Path(linked.path), ours, _key(linked), None, lock_wait=0.3)

    assert "auth.json.lock" in str(refused.value)
    for secret in ("rt-start", "rt-multicodex", ours.access_token):
        assert secret not in str(refused.value)
    assert Path(linked.path).read_bytes() == before
    assert _locks_free(Path(linked.path).parent) is False  # the holder still has its lock


def test_both_locks_are_free_after_write_back_and_the_lock_files_stay(
    linked: AccountLink, tokens_issued: Callable[[int, str], TokenSet]
) -> None:
    home = Path(linked.path).parent

    write_back(linked, tokens_issued(1_800_100_000, "rt-multicodex"))

    assert stored_refresh_token(linked) == "rt-multicodex"
    assert _locks_free(home)
    for name in ("auth.lock", "auth.json.lock"):
        lock_file = home / name
        assert lock_file.is_file() and not lock_file.is_symlink()
        assert oct(lock_file.stat().st_mode & 0o777) == "0o600"


def test_locks_are_free_after_a_refused_write_back(
    linked: AccountLink, tokens_issued: Callable[[int, str], TokenSet]
) -> None:
    auth = Path(linked.path)
    other = json.loads(auth.read_text())
    other["tokens"]["account_id"] = "acct-someone-else"
    auth.write_text(json.dumps(other))

    with pytest.raises(CredentialImportError, match="another account"):
        write_back_codex_cli(auth, tokens_issued(1_800_100_000, "rt-x"), _key(linked), None)

    assert _locks_free(auth.parent)


def test_a_vanished_codex_home_is_reported_as_not_found(
    linked: AccountLink, tokens_issued: Callable[[int, str], TokenSet]
) -> None:
    home = Path(linked.path).parent
    for entry in home.iterdir():
        entry.unlink()
    home.rmdir()

    with pytest.raises(CredentialsNotFoundError):
        write_back(linked, tokens_issued(1_800_100_000, "rt-x"))

    assert not home.exists()


def _key(link: AccountLink) -> str:
    assert link.account_key is not None
    return link.account_key


def _locks_free(home: Path) -> bool:
    result = subprocess.run(
        [sys.executable, "-c", TRY_BOTH_LOCKS, str(home)], timeout=HELPER_TIMEOUT, check=False
    )
    return result.returncode == 0


def _dump(commit: dict[str, Any] | None) -> str:
    return json.dumps(commit, indent=2) if commit is not None else ""
