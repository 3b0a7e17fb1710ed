"""The Codex CLI's cross-process lock on ``$CODEX_HOME/auth.json``, so our writes to its
file never interleave with its own refresh commit (docs/codex-auth-lock.md).

The CLI (0.169 and 0.171, observed with strace) commits a refresh under two ``flock(2)``
locks in the auth file's directory, taken in this order and never deleted:

* ``auth.lock``: exclusive, blocking without a time limit;
* ``auth.json.lock``: exclusive, tried every 10 ms for about 5 s, after which the CLI drops
  the tokens it just obtained (and later fails with "refresh token was already used").

We take both in the same order, so a CLI that wants to commit while we hold them waits on
``auth.lock`` (which it does indefinitely) and never times out on the inner lock. Our own
wait is bounded and polled, never a blocking ``flock`` call.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from multicodex.auth.importers.common import CredentialsLockedError, CredentialsNotFoundError

OUTER_LOCK_NAME = "auth.lock"
INNER_LOCK_SUFFIX = ".lock"
DEFAULT_WAIT_SECONDS = 10.0
POLL_SECONDS = 0.01  # the CLI's own retry interval on the inner lock
LOCK_FILE_MODE = 0o600
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


def lock_paths(auth_file: Path) -> tuple[Path, Path]:
    """``(auth.lock, auth.json.lock)`` beside ``auth_file``, in the order they are taken.

    Named from the path as given, not from a symbolic link's target: the CLI locks in
    ``$CODEX_HOME`` whatever ``auth.json`` points to."""
    return (
        auth_file.with_name(OUTER_LOCK_NAME),
        auth_file.with_name(f"{auth_file.name}{INNER_LOCK_SUFFIX}"),
    )


@contextmanager
def codex_auth_lock(auth_file: Path, *, wait: float = DEFAULT_WAIT_SECONDS) -> Iterator[None]:
    """Hold the Codex CLI's commit locks on ``auth_file`` for the duration of the block.

    Raises `CredentialsLockedError` when they stay taken for ``wait`` seconds, and
    `CredentialsNotFoundError` when the directory is gone. Keep the block short: a CLI
    that refreshed meanwhile waits for it before saving its new tokens."""
    deadline = time.monotonic() + wait
    with contextlib.ExitStack() as held:
        for lock_file in lock_paths(auth_file):
            fd = _open_lock_file(lock_file, auth_file)
            held.callback(os.close, fd)  # closing releases the flock; the file stays
            _flock_until(fd, deadline, lock_file, auth_file, wait)
        yield


def _open_lock_file(lock_file: Path, auth_file: Path) -> int:
    try:
        return os.open(lock_file, _OPEN_FLAGS, LOCK_FILE_MODE)
    except FileNotFoundError:
        raise CredentialsNotFoundError(
            f"{lock_file.parent} no longer exists, so {auth_file} cannot be updated",
            auth_file,
        ) from None


def _flock_until(fd: int, deadline: float, lock_file: Path, auth_file: Path, wait: float) -> None:
    while not _try_flock(fd):
        if time.monotonic() >= deadline:
            raise CredentialsLockedError(
                f"{lock_file} has been held for more than {wait:.0f} s (the Codex CLI is "
                f"saving its credentials); left {auth_file} untouched",
                auth_file,
            )
        time.sleep(POLL_SECONDS)


if sys.platform == "win32":
    import msvcrt

    def _try_flock(fd: int) -> bool:
        """The CLI's ``File::try_lock`` is ``LockFileEx`` over the whole file on Windows;
        a lock on its first byte conflicts with it."""
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_flock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True
