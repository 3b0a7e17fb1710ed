"""A corrupt store from the command line: every command names the moved file and
`multicodex recover --start-empty`, `verify` fails the store check with that fix, and
`recover` goes on with an empty store while the moved file stays where it is."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cli_rig import CliRig

RECOVER = "multicodex recover --start-empty"
GARBAGE = "{ not json"


def corrupt_store(cli: CliRig, content: str = GARBAGE) -> None:
    """Overwrite the store document in place (its mode stays 0600)."""
    (cli.home / "accounts.json").write_text(content)


def moved_files(cli: CliRig, kind: str = "corrupt") -> list[Path]:
    return sorted(cli.home.glob(f"accounts.json.{kind}-*"))


def test_every_command_names_the_moved_file_and_the_recover_command(cli: CliRig) -> None:
    cli.seed("alice")
    bob_login = cli.write_codex_auth(cli.emu.add_account(email="bob@example.test"))
    corrupt_store(cli)

    first = cli.run("accounts")
    [moved] = moved_files(cli)
    assert first.code == 1 and first.stdout == ""
    failure = first.stderr.strip().splitlines()[-1]
    assert failure.startswith("multicodex accounts: ")
    assert str(moved) in failure and RECOVER in failure
    assert moved.read_text() == GARBAGE

    commands: list[tuple[str, ...]] = [
        ("accounts", "--json"),
        ("use", "alice"),
        ("refresh",),
        ("label", "alice", "Work"),
        ("remove", "alice", "--yes"),
        ("reset",),
        ("status", "--cached"),
        ("rotation",),
        ("footer", "--usage-mode", "used"),
        ("import", "codex-cli", "--path", str(bob_login)),
        ("ask", "hello"),
    ]
    for result in cli.run_many(*commands):
        assert result.code == 1, (result.args, result.stderr)
        line = result.one_line_error()
        assert line.startswith(f"multicodex {result.args[0]}: "), line
        assert str(moved) in line and RECOVER in line, line
        assert result.stdout == ""
    assert moved_files(cli) == [moved]
    assert not (cli.home / "accounts.json").exists()


def test_verify_fails_the_store_check_with_the_fix(cli: CliRig) -> None:
    cli.seed("alice")
    corrupt_store(cli)
    human, machine = cli.run_many(("verify",), ("verify", "--json"))
    [moved] = moved_files(cli)

    assert human.code == 1
    assert human.stdout.startswith("verify: FAIL storage=fail accounts=0 active=none")
    assert (
        f"  [FAIL] store document: unusable (not valid JSON), moved to {moved}; start with an "
        f"empty store: `{RECOVER}` (in the editor: Start with an empty store)\n"
    ) in human.stdout
    assert "  [WARN] accounts: unknown (the store is unusable)\n" in human.stdout

    assert machine.code == 1
    result = machine.json()
    assert result["status"] == "fail"
    [store_check] = [c for c in result["checks"] if c["name"] == "store_file"]
    assert store_check["status"] == "fail"
    assert str(moved) in store_check["detail"] and RECOVER in store_check["detail"]


def test_recover_starts_empty_and_keeps_the_moved_file(cli: CliRig) -> None:
    cli.seed("alice")
    corrupt_store(cli)
    assert cli.run("status", "--cached").code == 1
    [moved] = moved_files(cli)

    missing = cli.run("recover")
    assert missing.code == 2 and "--start-empty" in missing.one_line_error()

    recovered = cli.run("recover", "--start-empty", "--json")
    assert recovered.code == 0, recovered.stderr
    assert recovered.json() == {
        "action": "start_empty",
        "recovered": True,
        "store_file": str(cli.home / "accounts.json"),
        "moved_to": str(moved),
        "reason": "not valid JSON",
        "foreign_format": None,
        "accounts": 0,
        "message": f"Started with an empty store; the unusable document stays at {moved}.",
    }
    assert moved.read_text() == GARBAGE

    listing, verify = cli.run_many(("accounts", "--json"), ("verify",))
    assert listing.code == 0 and listing.json()["no_accounts"] is True
    assert "  [ok  ] store document: not created yet" in verify.stdout

    again = cli.run("recover", "--start-empty")
    assert again.code == 0
    assert again.stdout == (
        f"Nothing to recover: the store at {cli.home / 'accounts.json'} is usable.\n"
    )
    assert moved_files(cli) == [moved]


def test_a_pi_multicodex_store_is_imported_after_starting_empty(cli: CliRig) -> None:
    carol = cli.emu.add_account(email="carol@example.test")
    tokens = cli.tokens_for(carol)
    pi_accounts = {
        "version": 1,
        "accounts": [
            {
                "email": "carol@example.test",
                "accessToken": tokens["access_token"],
                "refreshToken": tokens["refresh_token"],
                "expiresAt": round((time.time() + 3600) * 1000),
                "accountId": carol.account_id,
            }
        ],
    }
    cli.home.mkdir(mode=0o700, parents=True)
    corrupt_store(cli, json.dumps(pi_accounts))
    (cli.home / "accounts.json").chmod(0o600)

    failed = cli.run("accounts")
    [moved] = moved_files(cli, "pi-multicodex")
    importing = f"multicodex import pi-multicodex --path {moved}"
    failure = failed.stderr.strip().splitlines()[-1]
    assert RECOVER in failure and importing in failure

    recovered = cli.run("recover", "--start-empty")
    assert recovered.code == 0
    assert importing in recovered.stdout

    imported = cli.run(*importing.split()[1:])
    assert imported.code == 0, imported.stderr
    assert cli.stored_emails() == ["carol@example.test"]
