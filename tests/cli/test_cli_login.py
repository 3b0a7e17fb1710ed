"""`login` and `reauth`: the test plays the browser against the emulator's authorize
endpoint; the code comes back by paste, through the loopback callback, or by device code."""

from __future__ import annotations

import re
import signal
import subprocess

import httpx2
from cli_rig import CliRig, free_port, read_until

AUTHORIZE_URL = re.compile(rb"(http://127\.0\.0\.1:\d+/oauth/authorize\?\S+)")


def sign_in_in_browser(process: subprocess.Popen[bytes], until: bytes) -> tuple[str, str]:
    """Read the authorize URL the command printed and open it as a browser would, without
    following the redirect; returns (what stderr said so far, the redirect location)."""
    seen = read_until(process.stderr, until)
    found = AUTHORIZE_URL.search(seen)
    assert found is not None, seen
    answer = httpx2.get(found.group(1).decode(), follow_redirects=False, timeout=15)
    assert answer.status_code == 302, answer.text
    return seen.decode(), answer.headers["location"]


def test_login_by_pasting_the_redirect_address(cli: CliRig) -> None:
    cli.emu.add_account(email="alice@example.test", plan="pro")
    args = (
        "login",
        "--paste",
        "--no-browser",
        "--label",
        "Alice",
        "--callback-port",
        str(free_port()),
    )
    process = cli.start(*args)
    said, landed_on = sign_in_in_browser(process, b"Paste the address")
    assert "Sign in to ChatGPT at this address:" in said
    assert process.stdin is not None
    process.stdin.write(landed_on.encode() + b"\n")
    process.stdin.flush()
    result = cli.finish(process, *args)

    assert result.code == 0, result
    lines = result.stdout.splitlines()
    assert lines[0] == "Added Alice"
    assert lines[1].startswith("Alice (")
    assert [(a.email, a.label, a.plan) for a in cli.stored().accounts] == [
        ("alice@example.test", "Alice", "pro")
    ]


def test_login_through_the_loopback_callback(cli: CliRig) -> None:
    cli.emu.add_account(email="alice@example.test")
    port = free_port()
    args = ("login", "--json", "--no-browser", "--pin", "--callback-port", str(port))
    process = cli.start(*args)
    _, landed_on = sign_in_in_browser(process, b"Ctrl-C cancels")
    assert landed_on.startswith(f"http://localhost:{port}/auth/callback?")
    page = httpx2.get(landed_on.replace("localhost", "127.0.0.1"), timeout=15)
    assert page.status_code == 200
    result = cli.finish(process, *args)

    assert result.code == 0, result
    login = result.json()
    assert login["outcome"] == "added" and login["pinned"] is True
    assert login["account"]["email"] == "alice@example.test"
    assert cli.stored().pinned == login["account"]["key"]


def test_login_with_a_device_code(cli: CliRig) -> None:
    cli.emu.add_account(email="dana@example.test")
    cli.emu.update_settings(device_auto_approve_after=0)  # the first poll succeeds
    result = cli.run("login", "--device", "--json")
    assert result.code == 0, result
    assert "Enter the code" in result.stderr
    assert result.json()["account"]["email"] == "dana@example.test"


def test_ctrl_c_cancels_a_waiting_login(cli: CliRig) -> None:
    cli.emu.add_account(email="alice@example.test")
    args = ("login", "--no-browser", "--callback-port", str(free_port()))
    process = cli.start(*args)
    read_until(process.stderr, b"Ctrl-C cancels")
    process.send_signal(signal.SIGINT)
    result = cli.finish(process, *args)
    assert result.code == 130
    assert result.stderr.splitlines()[-1] == "multicodex login: interrupted"
    assert cli.stored().accounts == []


def test_nothing_pasted_cancels_the_login(cli: CliRig) -> None:
    cli.emu.add_account(email="alice@example.test")
    result = cli.run("login", "--paste", "--no-browser", "--callback-port", str(free_port()))
    assert result.code == 1
    assert result.stderr.splitlines()[-1] == (
        "multicodex login: nothing was pasted (end of input); the login was cancelled"
    )


def test_reauth_repairs_the_same_account(cli: CliRig) -> None:
    carol = cli.seed("carol")
    cli.seed("dave")
    cli.emu.authorize_as(carol.account_id)
    args = ("reauth", "carol", "--paste", "--no-browser", "--callback-port", str(free_port()))
    process = cli.start(*args)
    _, landed_on = sign_in_in_browser(process, b"Paste the address")
    assert process.stdin is not None
    process.stdin.write(landed_on.encode() + b"\n")
    process.stdin.flush()
    result = cli.finish(process, *args)
    assert result.code == 0, result
    assert result.stdout.splitlines()[0] == "Re-authenticated carol@example.test"

    unknown = cli.run("reauth", "nobody")
    assert unknown.code == 3
    assert unknown.one_line_error() == "multicodex reauth: Unknown account: nobody"
