"""Serving: TLS with the generated CA, a server thread, the control API, the CLI process."""

from __future__ import annotations

import queue
import signal
import ssl
import subprocess
import sys
import threading
from typing import Any

import httpx2
import pytest
from emulator_helpers import (
    RESPONSES_PATH,
    TOKEN_PATH,
    USAGE_PATH,
    bearer,
    refresh_form,
    responses_body,
)

from multicodex_emulator import Emulator


async def test_tls_serving_with_the_generated_ca(emu: Emulator) -> None:
    account = emu.add_account(email="tls@example.test")
    tokens = emu.issue_tokens(account.account_id)
    assert emu.ca_pem_path is None
    async with emu.serve(tls=True) as url:
        assert url.startswith("https://127.0.0.1:")
        assert emu.ca_pem_path is not None
        trusted = ssl.create_default_context(cafile=emu.ca_pem_path)
        async with httpx2.AsyncClient(base_url=url, verify=trusted, timeout=15) as client:
            answer = await client.get(USAGE_PATH, headers=bearer(tokens))
            assert answer.status_code == 200
            streamed = await client.post(
                RESPONSES_PATH, headers=bearer(tokens), json=responses_body()
            )
            assert "response.completed" in streamed.text
        localhost = url.replace("127.0.0.1", "localhost")
        async with httpx2.AsyncClient(verify=emu.client_ssl_context(), timeout=15) as client:
            assert (await client.get(f"{localhost}{USAGE_PATH}", headers=bearer(tokens))).is_success
        async with httpx2.AsyncClient(base_url=url, timeout=15) as untrusting:
            with pytest.raises(httpx2.ConnectError):
                await untrusting.get(USAGE_PATH)


def test_serve_in_thread_for_synchronous_clients(emu: Emulator) -> None:
    account = emu.add_account(email="sync@example.test")
    tokens = emu.issue_tokens(account.account_id)
    with emu.serve_in_thread() as url, httpx2.Client(base_url=url, timeout=15) as client:
        assert emu.base_url == url
        refreshed = client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
        assert refreshed.status_code == 200
        answer = client.post(
            RESPONSES_PATH, headers=bearer(refreshed.json()), json=responses_body()
        )
        assert "response.completed" in answer.text
    assert emu.base_url is None
    with pytest.raises(httpx2.ConnectError), httpx2.Client(timeout=5) as client:
        client.get(f"{url}{USAGE_PATH}")


def test_serve_in_thread_reports_a_busy_port(emu: Emulator) -> None:
    with emu.serve_in_thread() as url:
        port = int(url.rsplit(":", 1)[1])
        with pytest.raises(RuntimeError), emu.serve_in_thread(port=port):
            pass


# --- control API over HTTP ---------------------------------------------------------------


async def control(
    client: httpx2.AsyncClient, method: str, path: str, body: Any = None, status: int = 200
) -> Any:
    answer = await client.request(method, f"/_emu{path}", json=body)
    assert answer.status_code == status, answer.text
    return answer.json()


async def test_control_api_drives_accounts_tokens_usage_and_faults(
    client: httpx2.AsyncClient,
) -> None:
    created = await control(
        client,
        "POST",
        "/accounts",
        {"email": "ctl@example.test", "plan": "plus", "five_hour_used": 10, "cost_percent": 5},
    )
    account_id = created["account_id"]
    assert created["email"] == "ctl@example.test"
    listed = await control(client, "GET", "/accounts")
    assert [a["account_id"] for a in listed] == [account_id]

    tokens = await control(client, "POST", f"/accounts/{account_id}/tokens")
    assert tokens["expires_in"] == 864000

    view = await control(client, "POST", f"/accounts/{account_id}/usage", {"weekly_used": 42})
    assert [w["used_percent"] for w in view["windows"]] == [10, 42]
    usage = await control(client, "GET", f"/accounts/{account_id}/usage")
    assert usage["rate_limit"]["secondary_window"]["used_percent"] == 42

    await control(
        client, "POST", f"/accounts/{account_id}/faults", {"faults": [{"kind": "overloaded"}]}
    )
    assert (
        await client.post(RESPONSES_PATH, headers=bearer(tokens), json=responses_body())
    ).status_code == 503
    assert (
        await client.post(RESPONSES_PATH, headers=bearer(tokens), json=responses_body())
    ).is_success

    counters = await control(client, "GET", f"/accounts/{account_id}/counters")
    assert (counters["responses"], counters["responses_completed"]) == (2, 1)
    everything = await control(client, "GET", "/counters")
    assert everything[account_id]["responses"] == 2

    log = await control(client, "GET", f"/requests?path={RESPONSES_PATH}")
    assert [r["status"] for r in log] == [503, 200]
    assert log[0]["headers"]["authorization"] == "REDACTED"
    later = await control(client, "GET", f"/requests?since={log[0]['id']}")
    assert [r["id"] for r in later] == [log[1]["id"]]
    await control(client, "DELETE", "/requests")
    assert await control(client, "GET", "/requests") == []

    updated = await control(client, "PATCH", f"/accounts/{account_id}", {"response_deltas": 2})
    assert updated["response_deltas"] == 2


async def test_control_api_token_state_and_clock(client: httpx2.AsyncClient, emu: Emulator) -> None:
    account = emu.add_account(email="ops@example.test")
    path = f"/accounts/{account.account_id}"
    tokens = emu.issue_tokens(account.account_id)

    assert await control(client, "POST", f"{path}/expire-access-tokens") == {"affected": 1}
    assert (await client.get(USAGE_PATH, headers=bearer(tokens))).status_code == 401
    assert await control(client, "POST", f"{path}/revoke-refresh-tokens") == {"affected": 1}
    refused = await client.post(TOKEN_PATH, data=refresh_form(tokens["refresh_token"]))
    assert refused.json()["error"]["code"] == "refresh_token_invalidated"
    other = emu.issue_tokens(account.account_id)
    assert await control(client, "POST", f"{path}/expire-refresh-tokens") == {"affected": 1}
    refused = await client.post(TOKEN_PATH, data=refresh_form(other["refresh_token"]))
    assert refused.json()["error"]["code"] == "refresh_token_expired"
    fresh = emu.issue_tokens(account.account_id)
    # Every access token the account ever got: `tokens`, `other` and `fresh`.
    assert await control(client, "POST", f"{path}/revoke-access-tokens") == {"affected": 3}
    assert (await client.get(USAGE_PATH, headers=bearer(fresh))).status_code == 401

    deactivated = await control(client, "POST", f"{path}/deactivate", {"deactivated": True})
    assert deactivated["deactivated"] is True

    before = (await control(client, "GET", "/clock"))["now"]
    after = (await control(client, "POST", "/clock/advance", {"seconds": 3600}))["now"]
    assert after - before >= 3600

    await control(client, "POST", "/token-faults", {"faults": [{"kind": "status", "status": 502}]})
    assert (await client.post(TOKEN_PATH, data=refresh_form("rt_x"))).status_code == 502
    await control(client, "POST", "/token-faults", {"faults": [{"kind": "status"}]})
    assert await control(client, "DELETE", "/token-faults") == {"pending": 0}

    await control(client, "POST", f"{path}/usage-faults", {"faults": [{"kind": "status"}]})
    assert await control(client, "DELETE", f"{path}/usage-faults") == {"pending": 0}


async def test_control_api_login_helpers(client: httpx2.AsyncClient, emu: Emulator) -> None:
    emu.add_account(email="first@example.test")
    second = emu.add_account(email="second@example.test")
    await control(client, "POST", "/authorize-as", {"account_id": second.account_id})
    await control(client, "POST", "/authorize-deny", {})
    await control(client, "POST", "/settings", {"device_auto_approve_after": None})
    start = await client.post(
        "/api/accounts/deviceauth/usercode", json={"client_id": "app_EMoamEEZ73f0CkXaXp7hrann"}
    )
    user_code = start.json()["user_code"]
    await control(client, "POST", "/device/approve", {"user_code": user_code})
    poll = {"device_auth_id": start.json()["device_auth_id"], "user_code": user_code}
    approved = await client.post("/api/accounts/deviceauth/token", json=poll)
    assert approved.status_code == 200
    assert emu.counters(second.account_id)["device_approvals"] == 1
    settings = await control(client, "GET", "/settings")
    assert settings["device_auto_approve_after"] is None


async def test_control_api_rejects_bad_input_clearly(
    client: httpx2.AsyncClient, emu: Emulator
) -> None:
    account = emu.add_account(email="strict@example.test")
    path = f"/accounts/{account.account_id}"
    error = await control(client, "POST", "/accounts", {"email": "x@example.test", "plan": 3}, 400)
    assert "plan" in error["error"]
    error = await control(client, "POST", "/accounts", {"nope": 1}, 400)
    assert "email" in error["error"] and "nope" in error["error"]
    error = await control(client, "POST", f"{path}/faults", {"faults": [{"kind": "explode"}]}, 400)
    assert "explode" in error["error"] or "kind" in error["error"]
    error = await control(client, "POST", f"{path}/usage", {"weekly_used": 1400}, 400)
    assert "weekly_used" in error["error"]
    error = await control(client, "POST", "/clock/advance", {"seconds": -1}, 400)
    assert "seconds" in error["error"]
    error = await control(client, "POST", "/settings", {"tokens_per_second": "fast"}, 400)
    assert "tokens_per_second" in error["error"]
    answer = await client.post(
        "/_emu/accounts", content=b"{oops", headers={"content-type": "application/json"}
    )
    assert (answer.status_code, answer.json()) == (400, {"error": "body is not valid JSON"})
    missing = await control(client, "GET", "/accounts/no-such-account", status=404)
    assert "no-such-account" in missing["error"]
    await control(client, "POST", "/authorize-as", {"account_id": "ghost"}, 404)
    await control(client, "POST", "/device/approve", {"user_code": "ZZZZ-ZZZZ"}, 400)
    duplicate = {"email": "dup@example.test", "account_id": account.account_id}
    assert "already exists" in (await control(client, "POST", "/accounts", duplicate, 400))["error"]
    layout_error = await control(
        client,
        "POST",
        "/accounts",
        {"email": "w@example.test", "layout": "weekly", "five_hour_used": 5},
        400,
    )
    assert "five-hour" in layout_error["error"]


# --- the CLI -----------------------------------------------------------------------------


class CliEmulator:
    """`multicodex emulator` as a child process; stdout lines are read by a thread."""

    def __init__(self, *args: str) -> None:
        command = [sys.executable, "-m", "multicodex", "emulator", "--port", "0", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        self._lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))

    def next_line(self) -> str:
        return self._lines.get(timeout=30)

    def stop(self, signum: int) -> int:
        self.process.send_signal(signum)
        code = self.process.wait(timeout=15)
        self._reader.join(timeout=15)
        return code

    def rest(self) -> list[str]:
        lines = []
        while not self._lines.empty():
            lines.append(self._lines.get_nowait())
        return lines

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=15)


def test_cli_prints_the_url_first_and_stops_on_sigterm() -> None:
    cli = CliEmulator("--accounts", "2")
    try:
        url = cli.next_line()
        assert url.startswith("http://127.0.0.1:")
        with httpx2.Client(base_url=url, timeout=15) as client:
            accounts = client.get("/_emu/accounts").json()
            emails = [a["email"] for a in accounts]
            assert emails == ["account-1@example.test", "account-2@example.test"]
            assert {a["plan"] for a in accounts} == {"plus"}
            tokens = client.post(f"/_emu/accounts/{accounts[0]['account_id']}/tokens").json()
            assert client.get(USAGE_PATH, headers=bearer(tokens)).is_success
        assert cli.stop(signal.SIGTERM) == 0
        output = "\n".join(cli.rest())
        assert "account-1@example.test" in output
        assert "/_emu" in output
    finally:
        cli.kill()


def test_cli_with_tls_prints_an_https_url_and_the_ca_path() -> None:
    cli = CliEmulator("--tls", "--token-lifetime", "60", "--tokens-per-second", "0")
    try:
        url = cli.next_line()
        assert url.startswith("https://127.0.0.1:")
        line = cli.next_line()
        while not line.startswith("CA certificate:"):
            line = cli.next_line()
        trusted = ssl.create_default_context(cafile=line.split(": ", 1)[1])
        with httpx2.Client(base_url=url, verify=trusted, timeout=15) as client:
            assert client.get("/_emu/health").json()["ok"] is True
            assert client.get("/_emu/settings").json()["token_lifetime"] == 60
        assert cli.stop(signal.SIGINT) == 0
    finally:
        cli.kill()
