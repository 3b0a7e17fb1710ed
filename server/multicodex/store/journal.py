"""The refresh journal: refreshed token pairs made durable the moment they arrive.

Between the token endpoint's answer and the store's next write the new pair would live
only in memory, and a process killed then loses the account (the old refresh token is
already spent). So each answer is first appended to a small 0600 journal and fsynced, a
fraction of a millisecond, and merged into the store afterwards. Any process can merge
what it finds: at start, and before it decides to spend a refresh token.

Merging never loses a record: under the journal's lock the journal is renamed to a
pending file (appenders hold the same lock, so none writes into a file being taken);
the pending file is deleted only after its records are in the store. A process killed in
between leaves the pending file for the next merge. Records are idempotent: replaying one
twice, or after the store already holds a newer pair, changes nothing.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock
from pydantic import BaseModel, ValidationError

from multicodex.model import TokenSet
from multicodex.store.atomic import PRIVATE_FILE_MODE, ensure_private_dir, fsync_directory

log = logging.getLogger(__name__)

JOURNAL_NAME = "refresh-journal.jsonl"
PENDING_SUFFIX = ".pending"
LOCK_TIMEOUT_SECONDS = 10.0
LOCK_POLL_SECONDS = 0.0005
"""The lock is held for one write or one rename, well under a millisecond, so a waiter
looks again soon: at filelock's default 50 ms, refreshes of 8 processes landing together
waited up to 150 ms to become durable."""

_APPEND_FLAGS = (
    os.O_WRONLY
    | os.O_APPEND
    | os.O_CREAT
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
)


class JournalRecord(BaseModel):
    """One refresh answer: whose tokens, and the pair itself."""

    key: str
    tokens: TokenSet
    at: float


@dataclass(frozen=True)
class Taken:
    """Records taken for merging, and the pending files that hold them."""

    records: list[JournalRecord]
    files: list[Path]


class RefreshJournal:
    """``home/refresh-journal.jsonl`` with its lock beside it."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / JOURNAL_NAME
        self._lock = FileLock(
            home / f"{JOURNAL_NAME}.lock",
            mode=PRIVATE_FILE_MODE,
            thread_local=False,
            poll_interval=LOCK_POLL_SECONDS,
        )

    def append(self, key: str, tokens: TokenSet, at: float) -> None:
        """Make one refresh answer durable before returning.

        Only the write needs the lock: once it is done, a merge that takes the file reads
        the record. The fsyncs come after, so processes appending at once do not queue
        behind each other's disk flushes. They cover the record wherever a merge has moved
        it meanwhile: the file's data by descriptor, its name by the directory's fsync
        (always: the appender that created the file may not have synced it yet).
        """
        line = JournalRecord(key=key, tokens=tokens, at=at).model_dump_json().encode() + b"\n"
        with self._locked():
            fd = os.open(self.path, _APPEND_FLAGS, PRIVATE_FILE_MODE)
            try:
                os.write(fd, line)
            except BaseException:
                os.close(fd)
                raise
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_directory(self.home)

    def has_records(self) -> bool:
        """Whether anything waits to be merged (a cheap check before `take`)."""
        return _nonempty(self.path) or bool(self._pending_files())

    def take(self) -> Taken:
        """Every record not yet merged, including those of a merge that was interrupted.

        Call `discard` with the result once the records are in the store.
        """
        if _nonempty(self.path):
            with self._locked():
                if _nonempty(self.path):
                    os.rename(self.path, self._new_pending_path())
        files = self._pending_files()
        records = [record for path in files for record in _read_records(path)]
        return Taken(records, files)

    def discard(self, taken: Taken) -> None:
        for path in taken.files:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive across processes (the file lock) and across this process's threads:
        a file lock held by one thread would let another thread of the same process in."""
        ensure_private_dir(self.home)
        with _thread_lock(self.path), self._lock.acquire(timeout=LOCK_TIMEOUT_SECONDS):
            yield

    def _new_pending_path(self) -> Path:
        return self.path.with_name(f"{self.path.name}.{secrets.token_hex(6)}{PENDING_SUFFIX}")

    def _pending_files(self) -> list[Path]:
        prefix = f"{self.path.name}."
        try:
            names = os.listdir(self.home)
        except OSError:
            return []
        return sorted(
            self.home / name
            for name in names
            if name.startswith(prefix) and name.endswith(PENDING_SUFFIX)
        )


_THREAD_LOCKS: dict[Path, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def _thread_lock(path: Path) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(path, threading.Lock())


def _nonempty(path: Path) -> bool:
    try:
        return path.stat().st_size > 0
    except OSError:
        return False


def _read_records(path: Path) -> list[JournalRecord]:
    """The file's whole records; a torn last line (a write cut by a power loss) is skipped."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:  # merged and deleted by another process meanwhile
        return []
    records = []
    for line in raw.splitlines():
        try:
            records.append(JournalRecord.model_validate_json(line))
        except ValidationError:
            log.warning("skipped an unreadable record in %s", path.name)
    return records
