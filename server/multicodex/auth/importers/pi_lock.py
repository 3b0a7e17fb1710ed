"""pi's file lock, so our writes to its auth.json never interleave with its own.

pi locks with the `proper-lockfile` convention: a directory ``<file>.lock`` created with
mkdir (atomic everywhere), removed on release, and considered abandoned once its mtime is
older than ten seconds (a live holder touches it every five).
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from multicodex.auth.importers.common import CredentialsLockedError

log = logging.getLogger(__name__)

STALE_SECONDS = 10.0
DEFAULT_WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05


def lock_dir_for(target: Path) -> Path:
    return target.with_name(f"{target.name}.lock")


@contextmanager
def pi_file_lock(
    target: Path,
    *,
    wait: float = DEFAULT_WAIT_SECONDS,
    stale_after: float = STALE_SECONDS,
) -> Iterator[None]:
    """Hold pi's lock on ``target`` for the duration of the block."""
    lock_dir = lock_dir_for(target)
    deadline = time.monotonic() + wait
    while not _try_mkdir(lock_dir):
        if _remove_if_stale(lock_dir, stale_after):
            continue
        if time.monotonic() >= deadline:
            raise CredentialsLockedError(
                f"{lock_dir} has been held for more than {wait:.0f} s; try again when pi "
                "is done writing its credentials",
                target,
            )
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(lock_dir)


def _try_mkdir(lock_dir: Path) -> bool:
    try:
        os.mkdir(lock_dir, 0o700)
    except FileExistsError:
        return False
    return True


def _remove_if_stale(lock_dir: Path, stale_after: float) -> bool:
    """Remove an abandoned lock; True when the caller should retry at once."""
    try:
        age = time.time() - lock_dir.stat().st_mtime
    except FileNotFoundError:
        return True  # released between our mkdir and stat
    if age <= stale_after:
        return False
    log.warning("removing abandoned lock %s (untouched for %.0f s)", lock_dir, age)
    try:
        os.rmdir(lock_dir)
    except FileNotFoundError:
        return True
    except OSError:
        return False  # not ours to remove; wait for the deadline like any busy lock
    return True
