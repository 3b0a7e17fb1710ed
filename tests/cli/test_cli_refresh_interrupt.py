"""Ctrl-C (or SIGTERM) on `multicodex ask` while a token refresh is on its way back: the
command stops waiting for the answer, but the refreshed pair is saved before it exits."""

from __future__ import annotations

import signal
import subprocess
import time

import httpx2
import pytest
from cli_rig import CliRig

from multicodex.auth.refresh import refresh_form
from multicodex.auth.tokens import tokens_from_response
from multicodex.store.journal import RefreshJournal

WAIT_SECONDS = 20.0


def _wait_until_rotated(cli: CliRig, account_id: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while cli.emu.counters(account_id)["refreshes"] < 1:
        assert time.monotonic() < deadline, "the token endpoint never saw the refresh"
        time.sleep(0.02)


@pytest.mark.parametrize(
    ("signum", "word"), [(signal.SIGINT, "interrupted"), (signal.SIGTERM, "terminated")]
)
def test_a_signal_during_a_slow_refresh_saves_the_new_tokens_first(
    cli: CliRig, signum: signal.Signals, word: str
) -> None:
    alice = cli.seed("alice")
    cli.emu.update_settings(token_latency=2.0)
    cli.emu.expire_access_tokens(alice.account_id)
    asking = cli.start("ask", "hello", stdin=subprocess.DEVNULL)
    _wait_until_rotated(cli, alice.account_id)

    asking.send_signal(signum)
    stopped = cli.finish(asking, "ask", "hello")

    assert stopped.code == 130, stopped.stderr
    assert "in flight to be saved" in stopped.stderr
    assert f"multicodex ask: {word}" in stopped.stderr
    cli.emu.update_settings(token_latency=0)
    cli.emu.expire_access_tokens(alice.account_id)
    refreshed = cli.run("refresh")
    assert refreshed.code == 0, refreshed.stderr
    counters = cli.emu.counters(alice.account_id)
    assert counters["refreshes"] == 2
    assert counters["refresh_reused"] == 0


def test_a_refresh_a_killed_process_only_journaled_is_recovered_at_the_next_start(
    cli: CliRig,
) -> None:
    """SIGKILL after the journal's fsync and before the store write: the store still
    holds the spent pair, the journal the new one. The next command merges it first."""
    alice = cli.seed("alice")
    [spent] = cli.stored().accounts
    answer = httpx2.post(
        f"{cli.base_url}/oauth/token",
        data=refresh_form(spent.tokens.refresh_token, None),
        timeout=WAIT_SECONDS,
    )
    new = tokens_from_response(answer.json())
    cli.issued += [new.access_token, new.refresh_token]
    RefreshJournal(cli.home).append(spent.key, new, at=time.time())

    listing = cli.run("accounts")

    assert listing.code == 0, listing.stderr
    [merged] = cli.stored().accounts
    assert merged.tokens.refresh_token == new.refresh_token
    assert not RefreshJournal(cli.home).has_records()
    cli.emu.expire_access_tokens(alice.account_id)
    refreshed = cli.run("refresh")
    assert refreshed.code == 0, refreshed.stderr
    assert cli.emu.counters(alice.account_id)["refresh_reused"] == 0
