"""A writer SIGKILLed at any instant never costs a committed account or a parseable store.

The parent forks a writer (no re-import: the child reuses the parent's loaded modules and
its open `Store`), lets it commit transactions for a random 0-5 ms (one round in ten: up
to 50 ms, so commits pile up too), kills it with SIGKILL,
reaps it, and validates the document before the next round. The child reports each commit
through a pipe only after the transaction returned, so every reported commit is durable.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from multicodex.model import StoredAccount, TokenSet, identity_key
from multicodex.store.document import Store

KILLS = 1000
SLOTS = 8
APPEND_EVERY = 10
SHORT_WINDOW = 0.005
LONG_WINDOW = 0.05
LONG_EVERY = 10
"""One round in ten lasts up to 50 ms, so many transactions commit between the kills."""
TIME_LIMIT = 150.0  # a safety net for a very slow machine; the loop normally ends by count


def account(name: str) -> StoredAccount:
    return StoredAccount(
        key=identity_key(f"acct-{name}", None),
        account_id=f"acct-{name}",
        tokens=TokenSet(access_token=f"at-{name}", refresh_token=f"rt-{name}", expires_at=2e9),
        added_at=1.0,
    )


def slot_key(slot: int) -> str:
    return identity_key(f"acct-slot{slot}", None)


def write_until_killed(store: Store, report_fd: int, first: int) -> None:
    """The child: commit transaction after transaction; report each commit once durable."""
    status = 1
    try:
        sequence = first
        while True:
            with store.transaction() as doc:
                if sequence % APPEND_EVERY == 0:
                    doc.accounts.append(account(f"n{sequence}"))
                slot = doc.find(slot_key(sequence % SLOTS))
                assert slot is not None
                slot.label = str(sequence)
            os.write(report_fd, f"{sequence}\n".encode())
            sequence += 1
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def leftover_temps(home: Path) -> list[Path]:
    return [p for p in home.iterdir() if p.name.startswith(".accounts.json.")]


def read_reports(fd: int) -> list[int]:
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    return [int(line) for line in b"".join(chunks).split()]


@pytest.mark.timeout(240)
def test_sigkill_at_random_points_never_loses_a_committed_account(home: Path) -> None:
    store = Store.open(home)
    with store.transaction() as doc:
        doc.accounts.extend(account(f"slot{n}") for n in range(SLOTS))
    rng = random.Random(20260901)
    committed_appends: set[str] = set()
    committed_slots: dict[int, int] = {}
    temps_seen: set[str] = set()
    kills = rounds_with_commits = kills_mid_write = 0
    started = time.monotonic()

    while kills < KILLS and time.monotonic() - started < TIME_LIMIT:
        read_fd, write_fd = os.pipe()
        first = kills * 100_000
        pid = os.fork()
        if pid == 0:
            os.close(read_fd)
            write_until_killed(store, write_fd, first)
        os.close(write_fd)
        time.sleep(rng.uniform(0.0, LONG_WINDOW if kills % LONG_EVERY == 0 else SHORT_WINDOW))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), f"the writer stopped by itself (status {status})"
        kills += 1
        reported = read_reports(read_fd)
        os.close(read_fd)

        rounds_with_commits += bool(reported)
        for sequence in reported:
            if sequence % APPEND_EVERY == 0:
                committed_appends.add(identity_key(f"acct-n{sequence}", None))
            committed_slots[sequence % SLOTS] = sequence
        leftovers = {p.name for p in leftover_temps(home)}
        kills_mid_write += bool(leftovers - temps_seen)
        temps_seen |= leftovers
        assert len(leftovers) <= 1, "temp files of killed writers pile up"

        doc = Store(home).read()  # a fresh instance: no cached copy, parses from disk
        keys = {a.key for a in doc.accounts}
        missing = committed_appends - keys
        assert not missing, f"round {kills}: {len(missing)} committed account(s) lost"
        for slot, sequence in committed_slots.items():
            stored = doc.find(slot_key(slot))
            assert stored is not None and stored.label is not None
            assert int(stored.label) >= sequence, f"round {kills}: slot {slot} went back"

    elapsed = time.monotonic() - started
    print(
        f"\n{kills} kills in {elapsed:.1f} s; {rounds_with_commits} rounds committed; "
        f"{kills_mid_write} kills left a half-written temp file; "
        f"{len(committed_appends)} accounts appended"
    )
    assert kills >= KILLS, f"only {kills} kills in {elapsed:.0f} s"
    assert rounds_with_commits >= KILLS // 20
    assert kills_mid_write > 0, "no kill ever landed in the middle of a write"

    with store.transaction() as doc:  # the next write clears what killed writers left
        doc.active = None
    assert leftover_temps(home) == []
    assert committed_appends <= {a.key for a in store.read().accounts}
