"""`rotation`, `footer`, `verify`, `paths` and `import`, human and --json."""

from __future__ import annotations

import json

from cli_rig import CliRig

from multicodex.store.document import Store


def test_rotation_shows_and_saves_the_policy(cli: CliRig) -> None:
    shown, unknown = cli.run_many(("rotation",), ("rotation", "--strategy", "fastest"))
    assert shown.code == 0
    lines = shown.stdout.splitlines()
    assert lines[0] == (
        "rotation: strategy=default sticky=on retryLimit=5 fallbackCooldown=3600s "
        "firstOutputTimeout=20s stallTimeout=120s whenExhausted=wait resetCreditConfirm=ask"
    )
    assert lines[1].startswith("Current policy: a pinned account first")
    assert any(line.startswith(" * default ") for line in lines)
    changed = cli.run(
        "rotation",
        *("--strategy", "drain-first", "--no-sticky", "--retry-limit", "2"),
        *("--first-output-timeout", "7.5", "--stall-timeout", "300"),
        *("--when-exhausted", "reset-credit", "--reset-credit-confirm", "automatic"),
    )
    assert changed.code == 0
    assert changed.stdout.splitlines()[0] == (
        "rotation: strategy=drain-first sticky=off retryLimit=2 fallbackCooldown=3600s "
        "firstOutputTimeout=7.5s stallTimeout=300s whenExhausted=reset-credit "
        "resetCreditConfirm=automatic"
    )
    assert any(
        "reset credit" in line and "without asking" in line for line in changed.stdout.splitlines()
    )
    policy = cli.run("rotation", "--json").json()["policy"]
    assert policy == {
        "strategy": "drain-first",
        "retry_limit": 2,
        "fallback_cooldown_seconds": 3600,
        "sticky": False,
        "first_output_timeout_seconds": 7.5,
        "stall_timeout_seconds": 300.0,
        "when_exhausted": "reset-credit",
        "reset_credit_confirm": "automatic",
    }
    assert unknown.code == 2 and "invalid choice" in unknown.one_line_error()


def test_footer_settings_change_what_status_prints(cli: CliRig) -> None:
    cli.seed("alice", five_hour_used=30, weekly_used=10)
    cli.run("refresh")
    shown, status_before = cli.run_many(("footer",), ("status",))
    assert shown.stdout.splitlines() == [
        "footer: usageMode=left resetWindow=binding showAccount=on showReset=on "
        "order=account-first compact=off",
        status_before.stdout.strip(),
    ]
    changed = cli.run("footer", "--usage-mode", "used", "--no-show-account", "--json")
    assert changed.code == 0
    info = changed.json()
    assert info["settings"]["usage_mode"] == "used" and info["settings"]["show_account"] is False
    status = cli.run("status").stdout.strip()
    assert status == info["line"]["text"]
    assert status.startswith("Codex · 5h 30% used ↺")
    assert status.endswith(" · weekly 10% used")
    assert "alice" not in status


def test_verify_passes_then_warns_about_an_account_to_reauthenticate(cli: CliRig) -> None:
    cli.seed("alice")
    passed = cli.run("verify")
    assert passed.code == 0
    assert passed.stdout.splitlines()[0].startswith("verify: PASS storage=ok accounts=1")
    assert "  [ok  ] store document: valid, version 1, mode 0600" in passed.stdout
    with Store.open(cli.home).transaction() as doc:
        doc.accounts[0].needs_reauth = True
    warned = cli.run("verify", "--json")
    assert warned.code == 1
    assert warned.json()["status"] == "warn" and warned.json()["needs_reauth"] == 1


def test_paths_names_the_store_and_import_sources(cli: CliRig) -> None:
    human, as_json = cli.run_many(("paths",), ("paths", "--json"))
    assert human.code == 0
    assert human.stdout.splitlines()[0] == (
        f"paths: storage={cli.home / 'accounts.json'} home={cli.home}"
    )
    assert f"backend url: {cli.base_url}/backend-api" in human.stdout
    machine = as_json.json()
    assert machine["store_file"] == str(cli.home / "accounts.json")
    assert [s["kind"] for s in machine["import_sources"]] == ["codex-cli", "pi", "pi-multicodex"]
    assert machine["import_sources"][0]["path"] == str(cli.root / "user" / ".codex" / "auth.json")


def test_import_from_a_codex_cli_login(cli: CliRig) -> None:
    erin = cli.emu.add_account(email="erin@example.test")
    auth_file = cli.write_codex_auth(erin)
    first = cli.run("import", "codex-cli", "--path", str(auth_file))
    assert first.code == 0, first
    assert first.stdout.splitlines() == [
        f"codex-cli {auth_file}: added erin@example.test",
        "imported: 1 added, 0 updated",
    ]
    again = cli.run("import", "codex-cli", "--path", str(auth_file), "--json").json()
    assert again["added_count"] == 0
    assert [a["display_name"] for a in again["sources"][0]["unchanged"]] == ["erin@example.test"]
    listing = cli.run("accounts", "--json").json()
    assert listing["accounts"][0]["source"] == {
        "kind": "codex-cli",
        "path": str(auth_file),
        "linked": True,
    }


def test_import_failures(cli: CliRig) -> None:
    broken = cli.root / "broken.json"
    broken.write_text(json.dumps({"tokens": {}}))
    failed, nothing, path_alone = cli.run_many(
        ("import", "codex-cli", "--path", str(broken)),
        ("import",),
        ("import", "--path", str(broken)),
    )
    assert failed.code == 1
    assert failed.one_line_error().startswith("multicodex import: ")
    assert nothing.code == 0
    assert nothing.stdout.splitlines()[-1] == "imported: 0 added, 0 updated"
    assert "not found" in nothing.stdout
    assert path_alone.code == 2
