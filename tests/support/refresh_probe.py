"""What a stopped MultiCodex process was doing with token refreshes (Linux: /proc).

A process sends a token request and writes its answer to the refresh journal only while
it holds that account's refresh lock (a flock in ``home/locks``), and it lets go only
once the answer is saved or given up. So, with the process stopped (SIGSTOP), the locks
it holds are exactly the accounts whose refresh it may be in the middle of, and a journal
record for such an account means it got past the fsync. Nothing here changes the store.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from multicodex.pool.locks import lock_directory
from multicodex.store.journal import JOURNAL_NAME, PENDING_SUFFIX, JournalRecord

PROC = Path("/proc")
STOPPED_STATES = frozenset({"T", "t"})


def refresh_lock_path(home: Path, key: str) -> Path:
    """Where the pool's per-account refresh lock lives (pool.locks.AccountLocks.hold)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    return lock_directory(home) / f"refresh-{digest}.lock"


def is_stopped(pid: int) -> bool:
    """Every thread of ``pid`` is stopped (a group stop is complete)."""
    states = []
    for stat in (PROC / str(pid) / "task").glob("*/stat"):
        try:
            # "tid (comm) S ...": the state follows the last ")" (comm may hold one).
            states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
        except (OSError, IndexError):
            return False
    return bool(states) and all(s in STOPPED_STATES for s in states)


def refresh_locks_held(pid: int, home: Path, keys: Iterable[str]) -> set[str]:
    """The keys among ``keys`` whose refresh lock ``pid`` holds now."""
    held = _flocks_of(pid)
    found = set()
    for key in keys:
        try:
            st = os.stat(refresh_lock_path(home, key))
        except FileNotFoundError:
            continue
        if (os.major(st.st_dev), os.minor(st.st_dev), st.st_ino) in held:
            found.add(key)
    return found


def journaled_keys(home: Path) -> set[str]:
    """Accounts with a record in the journal or in a merge's pending file. Read in the
    order records move (journal, pending, then gone into the store), so a record that a
    merge moves meanwhile is either seen or already in the store."""
    keys = _keys_in(home / JOURNAL_NAME)
    for pending in sorted(home.glob(f"{JOURNAL_NAME}.*{PENDING_SUFFIX}")):
        keys |= _keys_in(pending)
    return keys


def _keys_in(path: Path) -> set[str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return set()
    keys = set()
    for line in raw.splitlines():
        try:
            keys.add(JournalRecord.model_validate_json(line).key)
        except ValidationError:  # a torn last line
            continue
    return keys


def _flocks_of(pid: int) -> set[tuple[int, int, int]]:
    """(major, minor, inode) of every flock ``pid`` holds, from /proc/locks."""
    held = set()
    for line in (PROC / "locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields or len(fields) < 6 or fields[1] != "FLOCK":
            continue  # a waiter, or another kind of lock
        if int(fields[4]) != pid:
            continue
        major, minor, inode = fields[5].split(":")
        held.add((int(major, 16), int(minor, 16), int(inode)))
    return held
