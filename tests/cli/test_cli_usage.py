"""`multicodex usage`, the status's binding window and pool line, and `ask`'s threshold
notice, against the emulator: history recorded from both sources, kept past a corrupt
file, old rows compacted away."""

from __future__ import annotations

import sqlite3
import time

from cli_rig import CliRig

from multicodex.history import HISTORY_NAME, RETENTION_SECONDS


def test_ask_records_history_from_the_endpoint_and_the_headers(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=10)
    asked = cli.run("ask", "hello")
    assert asked.code == 0, asked.stderr
    result = cli.run("usage", "--json", "--since", "1h")
    assert result.code == 0, result.stderr
    rows = result.json()["observations"]
    assert {r["source"] for r in rows} == {"endpoint", "headers"}
    assert {r["window"] for r in rows} >= {"5h", "weekly"}
    table = cli.run("usage", "--account", "alice")
    assert table.stdout.splitlines()[0].split()[:3] == ["time", "(UTC)", "account"]
    assert "alice@example.test" in table.stdout and "headers" in table.stdout
    mode = (cli.home / HISTORY_NAME).stat().st_mode & 0o777
    assert mode == 0o600


def test_status_names_the_binding_window_and_the_pool_of_three(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=10, weekly_used=20)
    cli.seed("bob", five_hour_used=40, weekly_used=30)
    cli.seed("carol", five_hour_used=20, weekly_used=10)
    assert cli.run("refresh").code == 0
    result = cli.run("status", "--cached")
    assert result.code == 0, result.stderr
    glance = result.stderr.strip()
    assert "· resets " in glance and glance.endswith("pool 2.3/3 left · 5h")


def test_a_corrupt_history_is_set_aside_and_the_answer_still_comes(cli: CliRig) -> None:
    cli.seed("alice")
    cli.home.mkdir(parents=True, exist_ok=True)
    (cli.home / HISTORY_NAME).write_bytes(b"not a database at all" * 64)
    result = cli.run("ask", "hello")
    assert result.code == 0, result.stderr
    assert list(cli.home.glob(f"{HISTORY_NAME}.corrupt-*"))
    assert cli.run("usage", "--json").json()["observations"]


def test_rows_older_than_the_retention_are_compacted_away(cli: CliRig) -> None:
    cli.seed("alice")
    assert cli.run("ask", "hello").code == 0
    old = time.time() - RETENTION_SECONDS - 3600
    with sqlite3.connect(cli.home / HISTORY_NAME) as conn:
        conn.execute(
            "INSERT INTO observations VALUES (?, 'x|y', 'codex', '5h', 18000, 5, NULL, 'endpoint')",
            (old,),
        )
    assert cli.run("ask", "again").code == 0  # a new process compacts as it writes
    rows = cli.run("usage", "--json", "--since", "60d").json()["observations"]
    assert rows and all(r["at"] > old for r in rows)


def test_ask_says_a_crossed_threshold_once(cli: CliRig) -> None:
    alice = cli.seed("alice", five_hour_used=85)
    first = cli.run("ask", "hello")
    assert first.code == 0, first.stderr
    assert "has used" in first.stderr and "of its 5h window" in first.stderr
    second = cli.run("ask", "again")
    assert "has used" not in second.stderr  # remembered across processes
    cli.emu.set_usage(alice.account_id, five_hour_used=50)
    assert "has used" not in cli.run("ask", "below").stderr
    cli.emu.set_usage(alice.account_id, five_hour_used=90)
    assert "of its 5h window" in cli.run("ask", "above again").stderr
