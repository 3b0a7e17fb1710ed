"""A partly invalid store through `multicodex serve`: the server starts with one
window/showMessage warning naming the setting that fell back and the side file of the
account set aside, serves the good accounts, and verify warns with the same names."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from multicodex.store.document import Store
from multicodex_emulator import Emulator
from support.accounts import stored_account
from support.server_rig import assert_no_tokens, start_server


def partly_invalid_store(emu: Emulator, home: Path) -> tuple[list[str], dict[str, Any]]:
    """alice, a broken bob (no tokens) and carol, with an invalid footer setting; the
    tokens handed out, and bob's entry as written."""
    issued: list[str] = []
    with Store.open(home).transaction() as doc:
        for name in ("alice", "bob", "carol"):
            account = emu.add_account(email=f"{name}@example.test")
            tokens = emu.issue_tokens(account.account_id)
            issued += [tokens["access_token"], tokens["refresh_token"], tokens["id_token"]]
            doc.accounts.append(stored_account(tokens))
    path = home / "accounts.json"
    data = json.loads(path.read_text())
    data["settings"]["footer"]["reset_window"] = "1y"
    del data["accounts"][1]["tokens"]
    path.write_text(json.dumps(data))
    return issued, data["accounts"][1]


async def test_the_server_starts_with_one_warning_and_serves_the_good_accounts(
    server_emulator: Emulator, tmp_path: Path
) -> None:
    home = tmp_path / "store"
    issued, bob = partly_invalid_store(server_emulator, home)
    async with server_emulator.serve() as base_url:
        rig = await start_server(server_emulator, base_url, tmp_path)
        rig.issued += issued
        client = rig.client
        try:
            warning = await client.notification("window/showMessage")
            listing = await client.request("multicodex/accounts/list", {"refresh_stale": False})
            verify = await client.request("multicodex/verify", {})
            footer = await client.request("multicodex/footer/get", {})
        finally:
            assert await client.stop() == 0
    [side_file] = sorted(home.glob("accounts.json.set-aside-*.json"))
    assert warning["type"] == 2  # Warning
    message = warning["message"]
    assert message.startswith(f"MultiCodex: {home / 'accounts.json'} has invalid parts")
    assert "settings.footer.reset_window fell back to its default" in message
    assert f"account #2 (bob@example.test) was set aside in {side_file}" in message
    assert "tokens is required" in message
    assert len(client.notifications("window/showMessage")) == 1
    assert [a["email"] for a in listing["accounts"]] == ["alice@example.test", "carol@example.test"]
    assert footer["settings"]["reset_window"] == "binding"
    [check] = [c for c in verify["checks"] if c["name"] == "store_invalid_parts"]
    assert check["status"] == "warn" and verify["status"] == "warn"
    # The setting is named only until a write saved the repaired document (the server's
    # first usage fetch may have done so already); the side file is named until deleted.
    assert str(side_file) in check["detail"]
    assert json.loads(side_file.read_text())["accounts"][0]["entry"] == bob
    log = client.stderr()
    assert "settings.footer.reset_window is not valid" in log
    assert "account #2 (bob@example.test) is not usable" in log
    assert_no_tokens(rig)
