"""The usage history on a store in PostgreSQL: every machine on the database records into
its tables and reads everyone's rows (no SQLite file in any home), the thresholds
announced are shared, and rows past the retention go, whichever machine wrote them."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.cli_rig import CliRig
from multicodex.history import (
    HISTORY_NAME,
    RETENTION_SECONDS,
    HistoryBackend,
    NotifiedKey,
    Observation,
    open_history,
)
from multicodex.history.postgres import PostgresHistory
from multicodex.store.opening import open_store
from multicodex.store.postgres.keys import KEY_ENV, KEY_FILE_ENV, KEY_FILE_NAME, Key
from multicodex_emulator import Emulator
from postgres.conftest import Database

DAY = 24 * 3600.0


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[CliRig]:
    emulator = Emulator(tokens_per_second=0)
    with emulator.serve_in_thread() as base_url:
        rig = CliRig(emu=emulator, base_url=base_url, root=tmp_path)
        yield rig
    rig.assert_clean()


def machine_history(
    database: Database, home: Path, env: dict[str, str], clock: float | None = None
) -> HistoryBackend:
    store = open_store(home, database.url, env=env)
    history = open_history(store, time.time if clock is None else lambda: clock)
    assert isinstance(history, PostgresHistory)
    return history


def observation(account: str, at: float, used: float = 10.0) -> Observation:
    return Observation(
        at=at,
        account=account,
        bucket="codex",
        window="5h",
        window_seconds=5 * 3600,
        used_percent=used,
        resets_at=at + 3600,
        source="endpoint",
    )


def test_two_machines_answering_each_read_the_whole_history(
    cli: CliRig, database: Database
) -> None:
    cli.seed("alice")
    cli.seed("bob")
    moved = cli.run("store", "migrate", "--to", database.url)
    assert moved.code == 0, moved.stderr
    laptop = cli.env(MULTICODEX_STORE=database.url)
    desktop_home = cli.root / "desktop"
    desktop = cli.env(
        MULTICODEX_STORE=database.url,
        MULTICODEX_HOME=str(desktop_home),
        **{KEY_FILE_ENV: str(cli.home / KEY_FILE_NAME)},
    )

    for env, who in ((laptop, "alice"), (desktop, "bob")):
        asked = cli.run("ask", "--account", f"{who}@example.test", "hello", env=env)
        assert asked.code == 0, asked.stderr

    listing = cli.run("accounts", "--json", "--cached", env=laptop).json()["accounts"]
    answered = {(a["key"], "headers") for a in listing}
    assert len(answered) == 2
    for env in (laptop, desktop):
        result = cli.run("usage", "--json", "--since", "1h", env=env)
        assert result.code == 0, result.stderr
        rows = result.json()["observations"]
        assert answered <= {(r["account"], r["source"]) for r in rows}
    assert not (cli.home / HISTORY_NAME).exists()
    assert not (desktop_home / HISTORY_NAME).exists()
    recorded = database.sql("SELECT count(DISTINCT account) FROM multicodex.usage_observations")
    assert recorded.strip() == "2"


def test_what_one_machine_records_and_announces_the_other_reads(
    database: Database, tmp_path: Path
) -> None:
    env = {KEY_ENV: Key.generate().encoded()}
    laptop = machine_history(database, tmp_path / "laptop", env)
    desktop = machine_history(database, tmp_path / "desktop", env)
    now = time.time()

    assert laptop.add([observation("alice", now - 60), observation("alice", now - 30)])
    assert desktop.add([observation("bob", now - 45)])
    for history in (laptop, desktop):
        assert [(r.account, r.at) for r in history.observations(now - 3600)] == [
            ("alice", now - 60),
            ("bob", now - 45),
            ("alice", now - 30),
        ]
        assert [r.account for r in history.observations(now - 3600, "bob")] == ["bob"]

    told = NotifiedKey("pool", "5h", 80)
    laptop.set_notified({told: now + 3600}, [])
    assert desktop.notified() == {told: now + 3600}
    desktop.set_notified({}, [told])
    assert laptop.notified() == {}


def test_the_retention_removes_every_machines_old_rows(database: Database, tmp_path: Path) -> None:
    env = {KEY_ENV: Key.generate().encoded()}
    now = time.time()
    desktop = machine_history(database, tmp_path / "desktop", env)
    assert desktop.add([observation("bob", now - 2 * DAY), observation("bob", now - 30 * DAY)])

    later = now + 6 * DAY  # the first row is 8 days old then, the second 36
    laptop = machine_history(database, tmp_path / "laptop", env, clock=later)
    laptop.compact()

    kept = laptop.observations(later - RETENTION_SECONDS - 10 * DAY)
    assert [r.at for r in kept] == [now - 2 * DAY]
    assert [r.at for r in desktop.observations(0)] == [now - 2 * DAY]
