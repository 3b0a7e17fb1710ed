"""Several MultiCodex processes share one store: no refresh token is ever spent twice and
one TTL window costs exactly one usage fetch per account."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest

from multicodex.store.document import Store
from multicodex_emulator import Emulator
from support.accounts import stored_account

WORKER = Path(__file__).with_name("worker.py")


@pytest.fixture
def emulator() -> Iterator[tuple[Emulator, str]]:
    emu = Emulator(tokens_per_second=5000.0)
    with emu.serve_in_thread() as base_url:
        yield emu, base_url


def seed(store: Store, emu: Emulator, count: int, *, expires_in: float) -> list[str]:
    """Put `count` emulator accounts in the store; their tokens expire `expires_in` from now."""
    ids = []
    with store.transaction() as doc:
        for n in range(count):
            account = emu.add_account(email=f"user-{n}@example.test", plan="plus")
            entry = stored_account(emu.issue_tokens(account.account_id))
            entry.tokens.expires_at = time.time() + expires_in
            doc.accounts.append(entry)
            ids.append(account.account_id)
    return ids


def run_workers(home: Path, base_url: str, mode: str, count: int, rounds: int = 1) -> list[dict]:
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKER), str(home), base_url, mode, str(rounds)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


def test_eight_processes_refresh_each_account_exactly_once(
    tmp_path: Path, emulator: tuple[Emulator, str]
) -> None:
    emu, base_url = emulator
    store = Store.open(tmp_path)
    ids = seed(store, emu, 20, expires_in=60.0)  # inside the five-minute margin

    results = run_workers(tmp_path, base_url, "tokens", 8)

    for account_id in ids:
        counters = emu.counters(account_id)
        assert counters["refreshes"] == 1, (account_id, counters)
        assert counters["refresh_reused"] == 0, (account_id, counters)
    stored = {a.key: a.tokens.access_token for a in store.read().accounts}
    for result in results:
        assert result == stored  # every process ended with the one refreshed token
    with httpx2.Client() as http:
        for account in store.read().accounts:
            answer = http.get(
                f"{base_url}/backend-api/wham/usage",
                headers={
                    "authorization": f"Bearer {account.tokens.access_token}",
                    "chatgpt-account-id": account.account_id or "",
                },
            )
            assert answer.status_code == 200


def test_processes_share_usage_one_fetch_per_account_per_ttl(
    tmp_path: Path, emulator: tuple[Emulator, str]
) -> None:
    emu, base_url = emulator
    store = Store.open(tmp_path)
    ids = seed(store, emu, 5, expires_in=86400.0)

    run_workers(tmp_path, base_url, "usage", 4, rounds=3)

    assert [emu.counters(i)["usage_fetches"] for i in ids] == [1] * 5
    assert all(a.usage is not None for a in store.read().accounts)
