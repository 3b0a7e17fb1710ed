"""The usage history database: rows from snapshots of both sources, retention, several
processes writing at once, and a corrupt file set aside with a warning."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from multicodex.history import (
    RETENTION_SECONDS,
    HistoryDatabase,
    HistoryRecorder,
    NotifiedKey,
    Observation,
    observations_of,
)
from multicodex.model import SPARK_BUCKET, QuotaBucket, UsageSnapshot, UsageWindow

NOW = 1_772_452_800.0
WRITER = Path(__file__).with_name("writer.py")


def row(at: float, account: str = "a@x.com|acc", used: float = 10.0) -> Observation:
    return Observation(at, account, "codex", "5h", 18000, used, at + 3600, "endpoint")


@pytest.fixture
def database(tmp_path: Path) -> HistoryDatabase:
    return HistoryDatabase(tmp_path / "usage-history.sqlite3", lambda: NOW)


def test_a_snapshot_becomes_one_row_per_window_and_bucket() -> None:
    spark = QuotaBucket(five_hour=UsageWindow(used_percent=64, window_seconds=18000))
    snapshot = UsageSnapshot(
        five_hour=UsageWindow(used_percent=12, window_seconds=18000, resets_at=NOW + 60),
        weekly=UsageWindow(used_percent=40, window_seconds=30 * 86400),
        buckets={SPARK_BUCKET: spark},
        fetched_at=NOW,
        source="headers",
    )
    rows = observations_of("a|b", snapshot)
    assert [(r.bucket, r.window, r.used_percent) for r in rows] == [
        ("codex", "5h", 12),
        ("codex", "30-day", 40),
        (SPARK_BUCKET, "5h", 64),
    ]
    assert {r.source for r in rows} == {"headers"}


def test_rows_come_back_by_time_and_account_in_a_private_file(database: HistoryDatabase) -> None:
    assert database.add([row(NOW - 10), row(NOW - 5, account="b|c"), row(NOW - 1)])
    assert [r.at for r in database.observations(NOW - 20)] == [NOW - 10, NOW - 5, NOW - 1]
    assert [r.at for r in database.observations(NOW - 6, "a@x.com|acc")] == [NOW - 1]
    assert stat.S_IMODE(os.stat(database.path).st_mode) == 0o600


def test_rows_past_the_retention_are_deleted(database: HistoryDatabase) -> None:
    old = NOW - RETENTION_SECONDS - 60
    database.add([row(old), row(NOW - 60)])
    database.compact()
    assert [r.at for r in database.observations(0)] == [NOW - 60]


def test_a_corrupt_file_is_set_aside_with_one_warning_and_recording_goes_on(
    database: HistoryDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    database.path.write_bytes(b"this is not a database" * 100)
    with caplog.at_level(logging.WARNING, logger="multicodex.history"):
        assert database.add([row(NOW)])
        assert [r.at for r in database.observations(0)] == [NOW]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "moved it to" in warnings[0].getMessage()
    aside = list(database.path.parent.glob("usage-history.sqlite3.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not")


def test_a_database_held_locked_loses_the_write_without_raising(
    database: HistoryDatabase, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    database.add([row(NOW - 1)])
    monkeypatch.setattr("multicodex.history.store.BUSY_TIMEOUT_MS", 50)
    holder = sqlite3.connect(database.path)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with caplog.at_level(logging.WARNING, logger="multicodex.history"):
            assert database.add([row(NOW)]) is False
    finally:
        holder.rollback()
        holder.close()
    assert any("locked" in r.getMessage() for r in caplog.records)
    assert not list(database.path.parent.glob("*.corrupt-*"))


def test_four_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "usage-history.sqlite3"
    count = 40
    writers = [
        subprocess.Popen(
            [sys.executable, str(WRITER), str(path), f"w{n}", str(count)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(4)
    ]
    outcomes = [w.communicate(timeout=90) for w in writers]
    assert [w.returncode for w in writers] == [0, 0, 0, 0], outcomes
    assert all(out.strip() == "done" and not err for out, err in outcomes)
    rows = HistoryDatabase(path, lambda: NOW).observations(0)
    for n in range(4):
        mine = [r.used_percent for r in rows if r.account == f"w{n}"]
        assert sorted(mine) == [float(i) for i in range(count)]


def test_thresholds_announced_are_remembered_and_rearmed(database: HistoryDatabase) -> None:
    first = NotifiedKey("pool", "5h", 80)
    second = NotifiedKey("pool", "5h", 95)
    database.set_notified({first: NOW + 60, second: None}, [])
    assert database.notified() == {first: NOW + 60, second: None}
    database.set_notified({}, [second])
    assert HistoryDatabase(database.path, lambda: NOW).notified() == {first: NOW + 60}


def test_the_recorder_writes_off_the_callers_thread(database: HistoryDatabase) -> None:
    recorder = HistoryRecorder(database)
    snapshot = UsageSnapshot(five_hour=UsageWindow(used_percent=5), fetched_at=NOW)
    for _ in range(3):
        recorder.observe("a|b", snapshot)
    assert recorder.flush(timeout=30)
    assert len(database.observations(0)) == 3


def test_reading_a_history_never_recorded_creates_nothing_and_warns_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    missing_home = tmp_path / "no-store-yet"
    database = HistoryDatabase(missing_home / "usage-history.sqlite3", clock=lambda: 1_000.0)
    assert database.observations(since=0) == []
    assert not missing_home.exists()
    assert not [r for r in caplog.records if r.levelname == "WARNING"]
