"""An account imported from the Codex CLI stays linked to its auth.json: refresh tokens are
single-use, so both tools must always hold the newest pair."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest

from multicodex.auth.importers import CredentialImportError, read_codex_cli, write_back
from support.rig import Rig


def write_codex_auth(path: Path, issued: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": issued["id_token"],
            "access_token": issued["access_token"],
            "refresh_token": issued["refresh_token"],
            "account_id": None,
        },
        "last_refresh": "2026-11-01T10:00:00.000000Z",
        "kept": "by MultiCodex",
    }
    path.write_text(json.dumps(document))
    path.chmod(0o600)


async def import_linked(rig: Rig, tmp_path: Path) -> tuple[str, str, Path]:
    emu_account = rig.emu.add_account(email="cli@example.test")
    auth = tmp_path / "codex-home" / "auth.json"
    write_codex_auth(auth, rig.emu.issue_tokens(emu_account.account_id))
    [(account, outcome)] = await rig.pool.add_credentials([read_codex_cli(auth)])
    assert outcome == "added"
    assert account.source is not None and account.source.linked
    return emu_account.account_id, account.key, auth


async def test_refresh_writes_the_new_pair_back_to_the_codex_cli(rig: Rig, tmp_path: Path) -> None:
    account_id, key, auth = await import_linked(rig, tmp_path)
    rig.emu.expire_access_tokens(account_id)
    stale = rig.pool.get(key).tokens.access_token

    refreshed = await rig.pool.tokens.valid(key, rejected_access_token=stale)

    on_disk = json.loads(auth.read_text())
    assert on_disk["tokens"]["refresh_token"] == refreshed.tokens.refresh_token
    assert on_disk["tokens"]["access_token"] == refreshed.tokens.access_token
    assert on_disk["kept"] == "by MultiCodex"
    assert oct(auth.stat().st_mode & 0o777) == "0o600"
    assert rig.emu.counters(account_id)["refreshes"] == 1


async def test_a_refresh_by_the_codex_cli_is_adopted_not_repeated(rig: Rig, tmp_path: Path) -> None:
    account_id, key, auth = await import_linked(rig, tmp_path)
    theirs = rig.emu.issue_tokens(account_id)  # the Codex CLI logged in / refreshed itself
    write_codex_auth(auth, theirs)
    with rig.pool.store.transaction() as doc:  # and our copy is about to expire
        mine = doc.find(key)
        assert mine is not None
        mine.tokens.expires_at = time.time() + 30

    account = await rig.pool.tokens.valid(key)

    assert account.tokens.refresh_token == theirs["refresh_token"]
    assert account.tokens.access_token == theirs["access_token"]
    assert rig.emu.counters(account_id)["refreshes"] == 0


async def test_write_back_never_puts_older_tokens_over_the_other_tools_newer_ones(
    rig: Rig, tmp_path: Path
) -> None:
    account_id, key, auth = await import_linked(rig, tmp_path)
    ours = rig.pool.get(key)
    await asyncio.sleep(1.1)  # the Codex CLI signs in again a second later: newer tokens
    theirs = rig.emu.issue_tokens(account_id)
    write_codex_auth(auth, theirs)
    assert ours.source is not None

    with pytest.raises(CredentialImportError, match="holds newer tokens"):
        write_back(ours.source, ours.tokens)

    assert json.loads(auth.read_text())["tokens"]["refresh_token"] == theirs["refresh_token"]


async def test_write_back_through_a_symbolic_link_keeps_the_link(rig: Rig, tmp_path: Path) -> None:
    """A dotfiles manager links ~/.codex/auth.json to a file elsewhere: the refreshed pair
    lands in that file and the link stays a link."""
    account_id, key, auth = await import_linked(rig, tmp_path)
    real = tmp_path / "dotfiles" / "codex-auth.json"
    real.parent.mkdir()
    auth.rename(real)
    auth.symlink_to(real)
    rig.emu.expire_access_tokens(account_id)

    refreshed = await rig.pool.tokens.valid(
        key, rejected_access_token=rig.pool.get(key).tokens.access_token
    )

    assert auth.is_symlink()
    assert json.loads(real.read_text())["tokens"]["refresh_token"] == (
        refreshed.tokens.refresh_token
    )
