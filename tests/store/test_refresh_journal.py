"""The refresh journal: durable, private, merged once, never older over newer."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from multicodex.auth.freshness import is_newer
from multicodex.model import StoredAccount, TokenSet
from multicodex.pool.tokens import apply_records
from multicodex.store.document import Store
from multicodex.store.journal import JournalRecord, RefreshJournal
from multicodex.store.schema import StoreDocument

if TYPE_CHECKING:
    from conftest import TokenMint


def _tokens(mint: TokenMint, exp: int) -> TokenSet:
    minted = mint.tokens(account_id="acct-alice", exp=exp)
    return TokenSet(
        access_token=minted.access_token,
        refresh_token=minted.refresh_token,
        id_token=minted.id_token,
        expires_at=float(minted.exp),
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_records_are_private_and_taken_once(tmp_path: Path, mint: TokenMint) -> None:
    journal = RefreshJournal(tmp_path)
    tokens = _tokens(mint, 2_000_000_000)

    journal.append("alice|acct", tokens, at=1.0)

    assert _mode(journal.path) == 0o600
    assert _mode(tmp_path / "refresh-journal.jsonl.lock") == 0o600
    assert journal.has_records()
    taken = journal.take()
    assert [(r.key, r.tokens.refresh_token) for r in taken.records] == [
        ("alice|acct", tokens.refresh_token)
    ]
    journal.append("bob|acct", tokens, at=2.0)  # arrives while the first is merged
    journal.discard(taken)
    assert [r.key for r in journal.take().records] == ["bob|acct"]


def test_an_interrupted_merge_is_taken_again(tmp_path: Path, mint: TokenMint) -> None:
    """A process that took the journal and died before its store write leaves the
    records in a pending file; the next merge reads them."""
    journal = RefreshJournal(tmp_path)
    journal.append("alice|acct", _tokens(mint, 2_000_000_000), at=1.0)
    journal.take()  # ... and the taker was killed here

    again = RefreshJournal(tmp_path).take()

    assert [r.key for r in again.records] == ["alice|acct"]
    assert not journal.path.exists()


def test_a_torn_last_line_is_skipped(tmp_path: Path, mint: TokenMint) -> None:
    journal = RefreshJournal(tmp_path)
    journal.append("alice|acct", _tokens(mint, 2_000_000_000), at=1.0)
    with journal.path.open("ab") as handle:
        handle.write(b'{"key": "bob|acct", "tokens": {"access_tok')

    assert [r.key for r in journal.take().records] == ["alice|acct"]


def test_records_never_put_older_tokens_over_newer(
    mint: TokenMint, stored_account: Callable[..., StoredAccount]
) -> None:
    doc = StoreDocument(accounts=[stored_account("alice")])
    account = doc.accounts[0]
    stored = account.tokens
    older = _tokens(mint, int(stored.expires_at) - 600)
    newer = _tokens(mint, int(stored.expires_at) + 600)
    account.needs_reauth = True

    assert apply_records(doc, [JournalRecord(key=account.key, tokens=older, at=1.0)]) == 0
    assert account.tokens.refresh_token == stored.refresh_token
    assert apply_records(doc, [JournalRecord(key=account.key, tokens=newer, at=2.0)]) == 1
    assert account.tokens.refresh_token == newer.refresh_token
    assert account.tokens.id_token == newer.id_token
    assert not account.needs_reauth, "a newer pair is a working sign-in"
    assert apply_records(doc, [JournalRecord(key="gone|x", tokens=newer, at=3.0)]) == 0


def test_freshness_reads_the_tokens_not_the_order_they_arrive_in(mint: TokenMint) -> None:
    first = _tokens(mint, 2_000_000_000)
    later = _tokens(mint, 2_000_000_060)

    assert is_newer(later, first)
    assert not is_newer(first, later)
    assert not is_newer(first, first)
    same_issue = first.model_copy(update={"refresh_token": "rt_other", "last_refresh": 5.0})
    assert is_newer(same_issue, first.model_copy(update={"last_refresh": 4.0}))
    assert not is_newer(same_issue, first), "nothing tells them apart: keep what we have"


def test_a_store_opened_elsewhere_sees_the_merged_tokens(
    tmp_path: Path, mint: TokenMint, stored_account: Callable[..., StoredAccount]
) -> None:
    store = Store.open(tmp_path)
    with store.transaction() as doc:
        doc.accounts.append(stored_account("alice"))
    key = store.read().accounts[0].key
    newer = _tokens(mint, 2_100_000_000)
    RefreshJournal(tmp_path).append(key, newer, at=1.0)

    journal = RefreshJournal(tmp_path)
    taken = journal.take()
    with store.transaction() as doc:
        assert apply_records(doc, taken.records) == 1
    journal.discard(taken)

    assert Store.open(tmp_path).read().accounts[0].tokens.refresh_token == newer.refresh_token
    assert not journal.has_records()


def test_threads_of_one_process_appending_and_merging_lose_nothing(
    tmp_path: Path, mint: TokenMint
) -> None:
    """A process refreshes several accounts at once: appends on the event loop, merges in
    worker threads. Every record appended is taken exactly by some merge."""
    journal = RefreshJournal(tmp_path)
    tokens = _tokens(mint, 2_000_000_000)
    taken_keys: list[str] = []
    done = threading.Event()

    def append(writer: int) -> None:
        for n in range(150):
            journal.append(f"w{writer}-{n}", tokens, at=float(n))

    def merge() -> None:
        while True:
            finished = done.is_set()
            taken = journal.take()
            taken_keys.extend(r.key for r in taken.records)
            journal.discard(taken)
            if finished:
                return

    mergers = [threading.Thread(target=merge) for _ in range(2)]
    writers = [threading.Thread(target=append, args=(w,)) for w in range(4)]
    for thread in [*mergers, *writers]:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in mergers:
        thread.join()

    expected = {f"w{w}-{n}" for w in range(4) for n in range(150)}
    assert set(taken_keys) == expected
