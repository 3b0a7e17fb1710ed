"""A partly invalid store from the command line: an invalid setting falls back to its
default and an invalid account is set aside in a side file, each said in one warning
line and in `verify`, while every other account keeps working; the next write saves the
repaired document and the side file stays."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cli_rig import CliResult, CliRig

from multicodex.store.document import Store

WARNING = "multicodex: warning: "


def edit_store(cli: CliRig, change: Any) -> None:
    """Change the raw document the way a hand edit (or an older or newer tool) would."""
    path = cli.home / "accounts.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=2))


def the_warning(result: CliResult) -> str:
    """The command's one stderr line, a warning."""
    [line] = result.stderr.splitlines()
    assert line.startswith(WARNING), line
    return line


def side_files(cli: CliRig) -> list[Path]:
    return sorted(cli.home.glob("accounts.json.set-aside-*.json"))


def expire_stored_tokens(cli: CliRig) -> None:
    """The next check of each account refreshes its token at the emulator."""
    with Store.open(cli.home).transaction() as doc:
        for account in doc.accounts:
            account.tokens.expires_at = 0.0


def test_an_invalid_setting_falls_back_with_one_warning(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=10)
    cli.seed("bob", five_hour_used=20)
    edit_store(cli, lambda d: d["settings"]["footer"].update(usage_mode="bogus"))

    verify = cli.run("verify")
    listing = cli.run("accounts")
    status = cli.run("status")

    assert verify.code == 1, verify
    assert verify.stdout.startswith("verify: WARN storage=ok accounts=2")
    assert (
        "  [WARN] invalid parts of the store: settings.footer.usage_mode at its default "
        "(must be 'left' or 'used')\n"
    ) in verify.stdout
    assert listing.code == 0, listing
    assert listing.stdout.startswith("alice@example.test (active")
    assert "\nbob@example.test" in listing.stdout
    for result in (verify, listing):
        line = the_warning(result)
        assert "settings.footer.usage_mode fell back to its default" in line
        assert "bogus" not in line
    assert status.code == 0, status
    assert "5h 90% left" in status.stdout  # the default usage mode
    on_disk = json.loads((cli.home / "accounts.json").read_text())
    assert on_disk["settings"]["footer"]["usage_mode"] == "left"  # saved by the first write
    assert "fell back" not in status.stderr  # nothing is wrong any more
    assert "WARNING" not in status.stderr
    assert side_files(cli) == []


def test_an_invalid_account_is_set_aside_and_the_others_keep_working(cli: CliRig) -> None:
    alice, bob, carol = cli.seed("alice"), cli.seed("bob"), cli.seed("carol")
    expire_stored_tokens(cli)
    broken: dict[str, Any] = {}

    def break_bob(data: dict[str, Any]) -> None:
        data["accounts"][1]["added_at"] = "yesterday"
        broken.update(data["accounts"][1])

    edit_store(cli, break_bob)

    refreshed = cli.run("refresh", "--all", "--json")

    assert refreshed.code == 0, refreshed
    assert refreshed.json()["refreshed"] == 2
    emails = [a["email"] for a in refreshed.json()["accounts"]]
    assert emails == ["alice@example.test", "carol@example.test"]
    assert cli.emu.counters(alice.account_id)["refreshes"] == 1
    assert cli.emu.counters(carol.account_id)["refreshes"] == 1
    assert cli.emu.counters(bob.account_id)["refreshes"] == 0
    [side_file] = side_files(cli)
    assert side_file.stat().st_mode & 0o077 == 0
    [kept] = json.loads(side_file.read_text())["accounts"]
    assert kept["entry"] == broken
    assert kept["name"] == "account #2 (bob@example.test)"
    line = the_warning(refreshed)
    assert f"account #2 (bob@example.test) was set aside in {side_file}" in line
    assert "added_at must be a number" in line
    assert cli.stored_emails() == ["alice@example.test", "carol@example.test"]

    label = cli.run("label", "alice", "Work")
    verify = cli.run("verify", "--json")

    assert label.code == 0 and label.stderr == "", label
    assert json.loads(side_file.read_text())["accounts"][0]["entry"] == broken
    assert side_files(cli) == [side_file]
    assert verify.code == 1
    [check] = [c for c in verify.json()["checks"] if c["name"] == "store_invalid_parts"]
    assert check["status"] == "warn"
    assert str(side_file) in check["detail"]
    assert "account #2 (bob@example.test): added_at must be a number" in check["detail"]
    assert verify.json()["accounts"] == 2


def test_a_store_without_invalid_parts_passes_the_check_quietly(cli: CliRig) -> None:
    cli.seed("alice")
    verify = cli.run("verify", "--json")
    assert verify.code == 0 and verify.stderr == ""
    [check] = [c for c in verify.json()["checks"] if c["name"] == "store_invalid_parts"]
    assert check == {
        "name": "store_invalid_parts",
        "label": "invalid parts of the store",
        "status": "pass",
        "detail": "none",
    }
