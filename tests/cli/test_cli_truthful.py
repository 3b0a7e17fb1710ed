"""Commands that do not mislead, and failures a person can act on, through the real
`multicodex` command against the emulator.

verify reaches both servers and fails when they are down; an unusable store is a failed
check, not a failed verify; a mistyped --home is not created by a command that only
reads; a file named to import must be there; a login checks the store before anyone signs
in; the original's command words work; ask fetches stale usage before choosing; pi's
login is picked up again when it is new or changed. Every failure is one line without
pydantic's wording, a protocol method or an exception class.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from typing import Any

from cli_rig import RESPONSES_PATH, CliResult, CliRig, free_port

from multicodex import __version__
from multicodex.model import UsageSnapshot, UsageWindow
from multicodex.store.document import Store
from multicodex_emulator import EmuAccount

RECOVER = "multicodex recover --start-empty"
CLASS_NAME = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:Error|Exception|Timeout)\b")
PYDANTIC_WORDING = ("Input should", "Field required", "Extra inputs", "validation error")


def assert_plain_failure(result: CliResult, code: int) -> str:
    """One stderr line, the given exit code, and nothing a person cannot act on."""
    assert result.code == code, result
    line = result.one_line_error()
    assert line.startswith(f"multicodex {result.args[0]}: "), line
    assert "multicodex/" not in line, f"a protocol method in: {line}"
    assert CLASS_NAME.search(line) is None, f"a class name in: {line}"
    assert "[Errno" not in line and not any(p in line for p in PYDANTIC_WORDING), line
    return line


def closed_url() -> str:
    """An address on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"


# -- messages -------------------------------------------------------------------------------


def test_a_refused_value_names_the_option_as_typed_and_its_range(cli: CliRig) -> None:
    cases = [
        (("rotation", "--retry-limit", "99"), "--retry-limit must be between 0 and 50 (got 99)"),
        (("rotation", "--fallback-cooldown", "0"), "--fallback-cooldown must be at least 1"),
        (("login", "--timeout", "5"), "--timeout must be between 30 and 1800 (got 5)"),
        (("ask", "hi", "--wait", "-1"), "--wait must be between 0 and 86400 (got -1)"),
    ]
    for args, expected in cases:
        line = assert_plain_failure(cli.run(*args), 2)
        assert line.startswith(f"multicodex {args[0]}: {expected}"), line
    assert cli.run("rotation", "--json").json()["policy"]["retry_limit"] != 99


def test_a_corrupt_store_names_the_command_to_run_never_the_method(cli: CliRig) -> None:
    cli.seed("alice")
    (cli.home / "accounts.json").write_text("{not json")

    line = assert_plain_failure(cli.run("accounts", "--cached"), 1)

    assert f"`{RECOVER}`" in line and "in the editor: Start with an empty store" in line


def test_a_backend_that_is_down_is_one_line_per_account_in_words(cli: CliRig) -> None:
    cli.seed("alice")
    cli.seed("bob")
    down = cli.env(MULTICODEX_BACKEND_URL=f"{closed_url()}/backend-api")

    result = cli.run("refresh", "--all", env=down)

    assert result.code == 1, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2, lines
    for line, name in zip(lines, ("alice", "bob"), strict=True):
        assert line.startswith(f"multicodex refresh: {name}@example.test: "), line
        assert "refused" in line, line
        assert CLASS_NAME.search(line) is None and "multicodex/" not in line, line


# -- verify ---------------------------------------------------------------------------------


def test_verify_reaches_the_authorization_server_and_the_backend(cli: CliRig) -> None:
    cli.seed("alice")

    up = cli.run("verify", "--json")

    assert up.code == 0, up
    checks = {c["name"]: c for c in up.json()["checks"]}
    assert checks["auth_server"]["status"] == "pass"
    assert checks["auth_server"]["detail"].startswith(f"{cli.base_url}/")
    assert checks["backend"]["status"] == "pass"
    assert (
        checks["backend"]["detail"] == f"{cli.base_url}/backend-api/wham/usage answered (HTTP 401)"
    )

    auth, backend = closed_url(), f"{closed_url()}/backend-api"
    down = cli.run("verify", "--auth-url", auth, "--backend-url", backend)

    assert down.code == 1, down
    assert down.stdout.startswith("verify: FAIL ")
    failed = [line for line in down.stdout.splitlines() if line.startswith("  [FAIL]")]
    assert failed == [
        f"  [FAIL] authorization server reachable: no answer from {auth}/.well-known/"
        "openid-configuration: the connection was refused (is the server running?); check the "
        "network, a proxy or firewall, and the address (--auth-url or MULTICODEX_AUTH_URL)",
        f"  [FAIL] Codex backend reachable: no answer from {backend}/wham/usage: the connection "
        "was refused (is the server running?); check the network, a proxy or firewall, and the "
        "address (--backend-url or MULTICODEX_BACKEND_URL)",
    ]


def test_verify_reports_an_unreadable_store_as_a_failed_check(cli: CliRig) -> None:
    cli.home.mkdir(mode=0o700, parents=True)
    fifo = cli.home / "accounts.json"
    os.mkfifo(fifo, 0o600)
    try:
        result = cli.run("verify")
    finally:
        fifo.unlink()  # nothing may wait on it after the test

    assert result.code == 1, result
    assert result.stderr == ""
    assert result.stdout.startswith("verify: FAIL storage=fail accounts=0 active=none")
    assert (
        f"  [FAIL] store document: {fifo} is a named pipe (FIFO), which MultiCodex cannot "
        "use; it was left as it is. Remove or rename it, then try again.\n"
    ) in result.stdout
    for other in ("store lock", "import sources found", "Codex backend reachable"):
        assert f"] {other}: " in result.stdout, other


# -- --home -----------------------------------------------------------------------------------


def test_commands_that_only_read_do_not_create_a_missing_home(cli: CliRig) -> None:
    typo = cli.root / "not-my-home" / "multicodex"
    note = (
        f"multicodex: no MultiCodex store at {typo} yet (nothing to show; `multicodex login` "
        "or `multicodex import` creates it)"
    )
    listing = cli.run("accounts", "--home", str(typo))
    paths = cli.run("paths", "--home", str(typo))
    status = cli.run("status", "--home", str(typo))
    verify = cli.run("--home", str(typo), "verify", "--json")

    for result in (listing, paths, status, verify):
        assert note in result.stderr.splitlines(), result
    assert listing.code == 0 and listing.stdout.startswith("No accounts yet.")
    assert paths.code == 0 and f"home:        {typo}\n" in paths.stdout
    assert verify.code == 1
    directory = next(c for c in verify.json()["checks"] if c["name"] == "store_directory")
    assert directory["status"] == "pass"
    assert directory["detail"] == f"{typo} not created yet (a login or an import creates it)"
    assert not typo.parent.exists()

    written = cli.run("reset", "all", "--home", str(typo))  # a command that writes
    assert written.code == 0, written
    assert typo.is_dir()


def test_a_home_that_is_not_a_directory_is_one_clear_line(cli: CliRig) -> None:
    a_file = cli.root / "notes.txt"
    a_file.write_text("not a directory")
    for args in (("accounts",), ("status",), ("use", "alice"), ("login", "--device")):
        line = assert_plain_failure(cli.run(*args, "--home", str(a_file)), 1)
        assert line == (
            f"multicodex {args[0]}: the MultiCodex home {a_file} is not a directory; give a "
            "directory with --home or MULTICODEX_HOME"
        )
    inside = assert_plain_failure(cli.run("label", "x", "--home", str(a_file / "sub")), 1)
    assert f"is inside {a_file}, which is not a directory" in inside
    assert a_file.read_text() == "not a directory"


# -- import, login ------------------------------------------------------------------------------


def test_import_of_a_file_that_is_not_there_fails_and_says_so(cli: CliRig) -> None:
    missing = cli.root / "nowhere" / "auth.json"

    line = assert_plain_failure(cli.run("import", "pi", "--path", str(missing)), 1)

    assert line == f"multicodex import: Nothing could be imported: no such file: {missing}"


def test_login_checks_the_store_before_anyone_signs_in(cli: CliRig) -> None:
    cli.seed("alice")
    (cli.home / "accounts.json").write_text("{not json")

    result = cli.run("login", "--device")

    line = assert_plain_failure(result, 1)
    assert f"`{RECOVER}`" in line
    assert "Enter the code" not in result.stderr
    assert cli.emu.requests_to("/api/accounts/deviceauth/usercode") == []


# -- the original's words ---------------------------------------------------------------------


def test_version_and_the_original_command_words(cli: CliRig) -> None:
    version = cli.run("--version")
    assert version.code == 0 and version.stdout == f"multicodex {__version__}\n"

    help_text = cli.run("help")
    assert help_text.code == 0 and help_text.stdout.startswith("usage: multicodex ")
    assert help_text.stdout == cli.run("--help").stdout
    assert cli.run("help", "reset").stdout.startswith("usage: multicodex reset ")

    alice = cli.seed("alice")
    assert cli.run("show", "--cached").stdout == cli.run("accounts", "--cached").stdout
    assert cli.run("path").stdout == cli.run("paths").stdout

    assert cli.run("use", "alice").code == 0
    reset = cli.run("reset", "ALL")
    assert reset.code == 0, reset
    assert cli.stored().pinned is None

    before = cli.emu.counters(alice.account_id)["usage_fetches"]
    refreshed = cli.run("refresh", "all")
    assert refreshed.code == 0, refreshed
    assert refreshed.stdout.startswith("refreshed 1 of 1 account")
    assert cli.emu.counters(alice.account_id)["usage_fetches"] == before + 1

    listed = cli.run("--help").stdout
    assert "\n    show " not in listed and "\n    path " not in listed  # accepted, not listed


# -- ask ----------------------------------------------------------------------------------------


def _stale_usage(used: float) -> UsageSnapshot:
    now = time.time()
    return UsageSnapshot(
        five_hour=UsageWindow(used_percent=used, window_seconds=18000, resets_at=now + 3600),
        weekly=UsageWindow(used_percent=used, window_seconds=604800, resets_at=now + 86400),
        fetched_at=now - 3600,
    )


def test_ask_fetches_stale_usage_before_choosing(cli: CliRig) -> None:
    alice = cli.seed("alice", five_hour_used=100)  # spent elsewhere since it was last seen
    bob = cli.seed("bob", five_hour_used=10)
    with Store.open(cli.home).transaction() as doc:
        for account in doc.accounts:
            account.usage = _stale_usage(0.0)  # both look untouched, alice first

    result = cli.run("ask", "Say", "hello")

    assert result.code == 0, result
    assert result.stdout.startswith("Hello from bob@example.test.")
    requests = cli.emu.requests_to(RESPONSES_PATH)
    assert [(r.account_id, r.status) for r in requests] == [(bob.account_id, 200)]
    assert cli.emu.counters(alice.account_id)["responses_429"] == 0


# -- pi's login -----------------------------------------------------------------------------------


def _pi_login(cli: CliRig, account: EmuAccount, expires_in: float) -> dict[str, Any]:
    """pi's auth.json as `/login openai-codex` leaves it, beside another provider's login."""
    tokens = cli.tokens_for(account)
    path = cli.root / "user" / ".pi" / "agent" / "auth.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "type": "oauth",
        "access": tokens["access_token"],
        "refresh": tokens["refresh_token"],
        "expires": round((time.time() + expires_in) * 1000),
        "accountId": account.account_id,
    }
    path.write_text(
        json.dumps({"anthropic": {"type": "api_key", "key": "x"}, "openai-codex": entry})
    )
    path.chmod(0o600)
    return tokens


def _stored_refresh_token(cli: CliRig, email: str) -> str:
    [account] = [a for a in cli.stored().accounts if a.email == email]
    return account.tokens.refresh_token


def test_pis_login_is_picked_up_when_new_or_newer_and_never_when_older(cli: CliRig) -> None:
    cli.seed("alice")
    carol = cli.emu.add_account(email="carol@example.test")
    first = _pi_login(cli, carol, expires_in=3600)

    listing = cli.run("accounts", "--cached")

    assert listing.code == 0, listing
    assert "\ncarol@example.test" in listing.stdout
    assert "multicodex: picked up pi's login: added carol@example.test" in listing.stderr
    [carol_source] = [a.source for a in cli.stored().accounts if a.email == "carol@example.test"]
    assert carol_source is not None and carol_source.kind == "pi" and carol_source.linked

    quiet = cli.run("accounts", "--cached")  # the file did not change: not read again
    assert "picked up" not in quiet.stderr

    newer = _pi_login(cli, carol, expires_in=7200)  # pi refreshed its login
    adopted = cli.run("status", "--cached")
    assert "picked up pi's login: took the newer tokens of carol@example.test" in adopted.stderr
    assert _stored_refresh_token(cli, "carol@example.test") == newer["refresh_token"]

    path = cli.root / "user" / ".pi" / "agent" / "auth.json"
    entry = json.loads(path.read_text())
    entry["openai-codex"].update(
        access=first["access_token"],
        refresh=first["refresh_token"],
        expires=round((time.time() + 3600) * 1000),
    )
    path.write_text(json.dumps(entry))  # an older copy of pi's file put back
    kept = cli.run("accounts", "--cached")
    assert kept.code == 0 and "picked up" not in kept.stderr
    assert _stored_refresh_token(cli, "carol@example.test") == newer["refresh_token"]


def test_an_account_removed_by_the_user_stays_removed_until_pis_login_changes(
    cli: CliRig,
) -> None:
    cli.seed("alice")
    dave = cli.emu.add_account(email="dave@example.test")
    _pi_login(cli, dave, expires_in=3600)
    assert "dave@example.test" in cli.run("accounts", "--cached").stdout

    assert cli.run("remove", "dave", "--yes").code == 0
    assert "dave@example.test" not in cli.run("accounts", "--cached").stdout

    _pi_login(cli, dave, expires_in=7200)  # pi signed in again
    assert "dave@example.test" in cli.run("accounts", "--cached").stdout


def test_a_missing_home_is_not_created_to_pick_up_pis_login(cli: CliRig) -> None:
    erin = cli.emu.add_account(email="erin@example.test")
    _pi_login(cli, erin, expires_in=3600)

    listing = cli.run("accounts", "--cached")

    assert listing.code == 0 and listing.stdout.startswith("No accounts yet.")
    assert not cli.home.exists()
    assert not Path(cli.home / "pi-login.seen.json").exists()
