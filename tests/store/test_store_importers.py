"""Importing, adopting and writing back the credentials of the Codex CLI, pi and the
original pi-multicodex, in each tool's own file format."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from multicodex.auth.importers import (
    ApiKeyOnlyError,
    CredentialImportError,
    CredentialsLockedError,
    CredentialsNotFoundError,
    ImportedCredentials,
    KeyringOnlyError,
    LinkMismatchError,
    find_sources,
    newer_linked_tokens,
    read_codex_cli,
    read_linked_tokens,
    read_pi,
    read_pi_multicodex,
    read_source,
    write_back,
)
from multicodex.auth.importers.pi_lock import pi_file_lock
from multicodex.model import TokenSet, identity_key

if TYPE_CHECKING:
    from conftest import Minted, TokenMint

CODEX_ACCOUNT = "11111111-2222-3333-4444-555555555555"


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2))
    os.chmod(path, 0o600)


def codex_auth(minted: Minted, **extra: Any) -> dict[str, Any]:
    return {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": minted.id_token,
            "access_token": minted.access_token,
            "refresh_token": minted.refresh_token,
            "account_id": minted.account_id,
        },
        "last_refresh": "2026-09-01T10:00:00.123456789Z",
        **extra,
    }


def pi_entry(minted: Minted) -> dict[str, Any]:
    return {
        "type": "oauth",
        "access": minted.access_token,
        "refresh": minted.refresh_token,
        "expires": minted.exp * 1000,
        "accountId": minted.account_id,
    }


def refreshed(minted: Minted) -> TokenSet:
    return TokenSet(
        access_token=minted.access_token,
        refresh_token=minted.refresh_token,
        id_token=minted.id_token,
        expires_at=float(minted.exp),
        last_refresh=1_790_000_000.5,
    )


# -- Codex CLI -------------------------------------------------------------------------


def test_codex_cli_round_trip_keeps_foreign_keys(tmp_path: Path, mint: TokenMint) -> None:
    path = tmp_path / ".codex" / "auth.json"
    first = mint.tokens()
    write_json(path, codex_auth(first, agent_identity={"kept": True}, future_key=[1, 2]))

    creds = read_codex_cli(path)

    assert creds.claims.account_id == CODEX_ACCOUNT
    assert creds.claims.email == "alice@example.test"
    assert creds.claims.plan == "plus"
    assert creds.tokens.access_token == first.access_token
    assert creds.tokens.id_token == first.id_token
    assert creds.tokens.expires_at == first.exp
    assert creds.tokens.last_refresh == pytest.approx(1_788_256_800.123456)
    assert creds.link is not None
    assert creds.link.kind == "codex-cli"
    assert creds.link.path == str(path)
    assert creds.link.account_key == creds.key == identity_key(CODEX_ACCOUNT, first.email)

    second = mint.tokens(exp=first.exp + 3600)
    write_back(creds.link, refreshed(second))

    written = json.loads(path.read_text())
    assert written["tokens"] == {
        "id_token": second.id_token,
        "access_token": second.access_token,
        "refresh_token": second.refresh_token,
        "account_id": CODEX_ACCOUNT,
    }
    assert written["agent_identity"] == {"kept": True}
    assert written["future_key"] == [1, 2]
    assert written["auth_mode"] == "chatgpt"
    assert written["OPENAI_API_KEY"] is None
    assert written["last_refresh"] == "2026-09-21T14:13:20.500000Z"
    assert list(written) == [
        "auth_mode",
        "OPENAI_API_KEY",
        "tokens",
        "last_refresh",
        "agent_identity",
        "future_key",
    ]
    assert mode_of(path) == 0o600
    again = read_codex_cli(path)
    assert again.tokens.refresh_token == second.refresh_token
    assert again.key == creds.key


def test_codex_cli_derives_the_account_id_from_the_tokens_in_old_files(
    tmp_path: Path, mint: TokenMint
) -> None:
    path = tmp_path / "auth.json"
    data = codex_auth(mint.tokens())
    del data["tokens"]["account_id"]
    del data["auth_mode"]
    write_json(path, data)
    assert read_codex_cli(path).claims.account_id == CODEX_ACCOUNT


@pytest.mark.parametrize("mode", ["keyring", "auto"])
def test_codex_cli_keyring_only_is_reported(tmp_path: Path, mode: str) -> None:
    (tmp_path / "config.toml").write_text(
        f'model = "gpt-5"\ncli_auth_credentials_store = "{mode}"\n'
    )
    with pytest.raises(KeyringOnlyError) as caught:
        read_codex_cli(tmp_path / "auth.json")
    message = str(caught.value)
    assert "OS keyring" in message
    assert 'cli_auth_credentials_store = "file"' in message
    assert "codex login" in message


def test_codex_cli_missing_file_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('cli_auth_credentials_store = "file"\n')
    with pytest.raises(CredentialsNotFoundError) as caught:
        read_codex_cli(tmp_path / "auth.json")
    assert not isinstance(caught.value, KeyringOnlyError)
    assert str(tmp_path / "auth.json") in str(caught.value)
    assert isinstance(caught.value, FileNotFoundError)


def test_codex_cli_api_key_only_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    write_json(path, {"auth_mode": "apikey", "OPENAI_API_KEY": "sk-test-secret-value"})
    with pytest.raises(ApiKeyOnlyError) as caught:
        read_codex_cli(path)
    assert "ChatGPT login" in str(caught.value)
    assert "sk-test-secret-value" not in str(caught.value)


def test_codex_cli_write_back_refuses_a_file_now_holding_another_account(
    tmp_path: Path, mint: TokenMint
) -> None:
    path = tmp_path / "auth.json"
    write_json(path, codex_auth(mint.tokens()))
    creds = read_codex_cli(path)
    assert creds.link is not None
    write_json(path, codex_auth(mint.tokens(account_id="other-account", email="bob@example.test")))
    before = path.read_bytes()

    with pytest.raises(LinkMismatchError) as caught:
        write_back(creds.link, refreshed(mint.tokens()))

    assert path.read_bytes() == before
    mint.assert_clean(str(caught.value))
    assert read_linked_tokens(creds.link) is None


# -- pi --------------------------------------------------------------------------------


def test_pi_round_trip_preserves_other_providers(tmp_path: Path, mint: TokenMint) -> None:
    path = tmp_path / "agent" / "auth.json"
    first = mint.tokens()
    anthropic = {"type": "api_key", "key": "sk-ant-kept"}
    write_json(
        path,
        {
            "anthropic": anthropic,
            "openai-codex": {**pi_entry(first), "extra": "kept"},
            "zai": {"type": "oauth", "access": "a", "refresh": "r", "expires": 1},
        },
    )

    creds = read_pi(path)

    assert creds.tokens.expires_at == first.exp  # milliseconds on disk
    assert creds.tokens.id_token is None
    assert creds.claims.email == "alice@example.test"
    assert creds.claims.account_id == CODEX_ACCOUNT
    assert creds.link is not None and creds.link.kind == "pi"

    second = mint.tokens(exp=first.exp + 7200)
    write_back(creds.link, refreshed(second))

    written = json.loads(path.read_text())
    assert written["anthropic"] == anthropic
    assert written["zai"] == {"type": "oauth", "access": "a", "refresh": "r", "expires": 1}
    assert written["openai-codex"] == {
        "type": "oauth",
        "access": second.access_token,
        "refresh": second.refresh_token,
        "expires": second.exp * 1000,
        "accountId": CODEX_ACCOUNT,
        "extra": "kept",
    }
    assert mode_of(path) == 0o600
    assert not (tmp_path / "agent" / "auth.json.lock").exists()


def test_pi_accepts_the_account_id_alias(tmp_path: Path, mint: TokenMint) -> None:
    path = tmp_path / "auth.json"
    entry = pi_entry(mint.tokens())
    entry["account_id"] = entry.pop("accountId")
    write_json(path, {"openai-codex": entry})
    assert read_pi(path).claims.account_id == CODEX_ACCOUNT


def test_pi_without_a_codex_login_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "auth.json"
    write_json(path, {"anthropic": {"type": "api_key", "key": "sk-ant"}})
    with pytest.raises(CredentialsNotFoundError) as caught:
        read_pi(path)
    assert "openai-codex" in str(caught.value)


def test_pi_write_back_waits_for_pis_lock_directory(tmp_path: Path, mint: TokenMint) -> None:
    path = tmp_path / "auth.json"
    write_json(path, {"openai-codex": pi_entry(mint.tokens())})
    creds = read_pi(path)
    assert creds.link is not None
    newer = refreshed(mint.tokens())
    lock_dir = tmp_path / "auth.json.lock"
    lock_dir.mkdir()  # pi is writing
    before = path.read_bytes()
    errors: list[BaseException] = []

    def write() -> None:
        try:
            assert creds.link is not None
            write_back(creds.link, newer)
        except BaseException as exc:
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(0.3)
        assert writer.is_alive()
        assert path.read_bytes() == before
    finally:
        lock_dir.rmdir()  # pi is done
        writer.join(30)
    assert not errors
    assert json.loads(path.read_text())["openai-codex"]["refresh"] == newer.refresh_token
    assert not lock_dir.exists()


def test_pi_lock_left_by_a_dead_pi_is_taken_over_when_stale(tmp_path: Path) -> None:
    target = tmp_path / "auth.json"
    lock_dir = tmp_path / "auth.json.lock"
    lock_dir.mkdir()
    old = time.time() - 60
    os.utime(lock_dir, (old, old))
    with pi_file_lock(target, wait=5):
        assert lock_dir.exists()
        assert lock_dir.stat().st_mtime > old
    assert not lock_dir.exists()


def test_pi_lock_wait_is_bounded(tmp_path: Path) -> None:
    lock_dir = tmp_path / "auth.json.lock"
    lock_dir.mkdir()
    with (
        pytest.raises(CredentialsLockedError) as caught,
        pi_file_lock(tmp_path / "auth.json", wait=0.2),
    ):
        pytest.fail("must not enter while pi holds the lock")
    assert str(lock_dir) in str(caught.value)
    assert lock_dir.exists()  # not ours: left alone


# -- pi-multicodex ---------------------------------------------------------------------


def test_pi_multicodex_identity_comes_from_the_tokens(tmp_path: Path, mint: TokenMint) -> None:
    path = tmp_path / "codex-accounts.json"
    alice = mint.tokens(account_id="acct-a", email="alice@example.test")
    bob = mint.tokens(account_id="acct-b", email="bob@example.test")
    carol = mint.tokens(account_id="acct-c", email="carol@example.test")
    write_json(
        path,
        {
            "$schema": "https://example.test/codex-accounts.schema.json",
            "version": 1,
            "accounts": [
                {
                    "email": "work",
                    "accessToken": alice.access_token,
                    "refreshToken": alice.refresh_token,
                    "expiresAt": alice.exp * 1000,
                    "accountId": "acct-a",
                    "quotaExhaustedUntil": 1,
                },
                {
                    "email": "alice@example.test",  # bob logged in under alice's label
                    "accessToken": bob.access_token,
                    "refreshToken": bob.refresh_token,
                    "expiresAt": bob.exp * 1000,
                    "needsReauth": True,
                },
                {"email": "broken", "accessToken": "", "refreshToken": "x", "expiresAt": 1},
                {
                    "email": "CAROL@example.test",
                    "accessToken": carol.access_token,
                    "refreshToken": carol.refresh_token,
                    "expiresAt": carol.exp * 1000,
                },
            ],
            "activeEmail": "work",
        },
    )

    imported = read_pi_multicodex(path)

    assert [c.claims.email for c in imported] == [
        "alice@example.test",
        "bob@example.test",
        "carol@example.test",
    ]
    assert [c.label for c in imported] == ["work", None, None]
    assert [c.needs_reauth for c in imported] == [False, True, False]
    assert imported[1].reauth_reason
    assert imported[0].tokens.expires_at == alice.exp
    assert all(c.link is not None and not c.link.linked for c in imported)
    assert read_source("pi-multicodex", path) == imported


def test_pi_multicodex_version_less_file_is_read(tmp_path: Path, mint: TokenMint) -> None:
    path = tmp_path / "codex-accounts.json"
    alice = mint.tokens()
    write_json(
        path,
        {
            "accounts": [
                {
                    "email": "alice@example.test",
                    "accessToken": alice.access_token,
                    "refreshToken": alice.refresh_token,
                    "expiresAt": alice.exp * 1000,
                    "importSource": "pi-openai-codex",
                }
            ]
        },
    )
    assert [c.claims.account_id for c in read_pi_multicodex(path)] == [CODEX_ACCOUNT]


def test_pi_multicodex_write_back_updates_only_that_account(
    tmp_path: Path, mint: TokenMint
) -> None:
    path = tmp_path / "codex-accounts.json"
    alice = mint.tokens(account_id="acct-a", email="alice@example.test")
    bob = mint.tokens(account_id="acct-b", email="bob@example.test")
    entries = [
        {
            "email": name,
            "accessToken": m.access_token,
            "refreshToken": m.refresh_token,
            "expiresAt": m.exp * 1000,
            "needsReauth": True,
        }
        for name, m in (("alice", alice), ("bob", bob))
    ]
    write_json(path, {"version": 1, "accounts": entries, "activeEmail": "bob"})
    link = read_pi_multicodex(path)[1].link
    assert link is not None
    newer = mint.tokens(account_id="acct-b", email="bob@example.test")

    write_back(link, refreshed(newer))

    written = json.loads(path.read_text())
    assert written["accounts"][0] == entries[0]
    assert written["accounts"][1] == {
        "email": "bob",
        "accessToken": newer.access_token,
        "refreshToken": newer.refresh_token,
        "expiresAt": newer.exp * 1000,
        "accountId": "acct-b",
    }
    assert written["activeEmail"] == "bob"
    assert mode_of(path) == 0o600


# -- linked adoption -------------------------------------------------------------------


def test_tokens_the_other_tool_refreshed_are_adopted(tmp_path: Path, mint: TokenMint) -> None:
    codex_path = tmp_path / "codex" / "auth.json"
    pi_path = tmp_path / "pi" / "auth.json"
    first = mint.tokens()
    write_json(codex_path, codex_auth(first))
    write_json(pi_path, {"openai-codex": pi_entry(first)})
    links = [read_codex_cli(codex_path).link, read_pi(pi_path).link]
    ours = refreshed(first)

    for link in links:
        assert link is not None
        unchanged = read_linked_tokens(link)
        assert unchanged is not None
        assert unchanged.refresh_token == first.refresh_token
        assert newer_linked_tokens(link, ours) is None

    theirs = mint.tokens(exp=first.exp + 600)
    write_json(codex_path, codex_auth(theirs))  # the Codex CLI refreshed
    write_json(pi_path, {"openai-codex": pi_entry(theirs)})  # and so did pi

    for link in links:
        assert link is not None
        adopted = read_linked_tokens(link)
        assert adopted is not None
        assert adopted.refresh_token == theirs.refresh_token
        assert adopted.access_token == theirs.access_token
        assert adopted.expires_at == theirs.exp
        newer = newer_linked_tokens(link, ours)
        assert newer is not None and newer.refresh_token == theirs.refresh_token

    codex_path.unlink()
    write_json(pi_path, {"openai-codex": pi_entry(mint.tokens(account_id="someone-else"))})
    for link in links:
        assert link is not None
        assert read_linked_tokens(link) is None


def test_write_back_to_a_vanished_file_fails_cleanly(tmp_path: Path, mint: TokenMint) -> None:
    path = tmp_path / "auth.json"
    write_json(path, codex_auth(mint.tokens()))
    link = read_codex_cli(path).link
    assert link is not None
    path.unlink()
    with pytest.raises(CredentialImportError) as caught:
        write_back(link, refreshed(mint.tokens()))
    assert isinstance(caught.value, OSError)  # callers treat it as a file problem
    assert not path.exists()


# -- discovery -------------------------------------------------------------------------


def test_find_sources_follows_the_environment(tmp_path: Path, mint: TokenMint) -> None:
    codex_home = tmp_path / "codex-home"
    agent_dir = tmp_path / "pi-agent"
    write_json(codex_home / "auth.json", codex_auth(mint.tokens()))
    write_json(agent_dir / "auth.json", {"anthropic": {"type": "api_key", "key": "k"}})
    env = {
        "HOME": str(tmp_path / "home"),
        "CODEX_HOME": str(codex_home),
        "PI_CODING_AGENT_DIR": str(agent_dir),
    }

    sources = {s.kind: s for s in find_sources(env)}

    assert sources["codex-cli"].path == codex_home / "auth.json"
    assert sources["codex-cli"].exists and sources["codex-cli"].note is None
    assert sources["pi"].path == agent_dir / "auth.json"
    assert sources["pi"].exists
    assert sources["pi"].note is not None and "openai-codex" in sources["pi"].note
    assert sources["pi-multicodex"].path == agent_dir / "codex-accounts.json"
    assert not sources["pi-multicodex"].exists


def test_find_sources_defaults_to_the_home_directory(tmp_path: Path) -> None:
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "config.toml").write_text('cli_auth_credentials_store = "keyring"\n')
    sources = {s.kind: s for s in find_sources({"HOME": str(tmp_path)})}
    assert sources["codex-cli"].path == tmp_path / ".codex" / "auth.json"
    assert not sources["codex-cli"].exists
    assert sources["codex-cli"].note is not None and "keyring" in sources["codex-cli"].note
    assert sources["pi"].path == tmp_path / ".pi" / "agent" / "auth.json"
    assert sources["pi-multicodex"].path == tmp_path / ".pi" / "agent" / "codex-accounts.json"


def test_reprs_and_errors_never_show_tokens(tmp_path: Path, mint: TokenMint) -> None:
    path = tmp_path / "auth.json"
    write_json(path, codex_auth(mint.tokens()))
    creds: ImportedCredentials = read_codex_cli(path)
    mint.assert_clean(repr(creds))
    mint.assert_clean(str(creds))
    broken = codex_auth(mint.tokens())
    broken["tokens"]["refresh_token"] = ""
    write_json(path, broken)
    with pytest.raises(CredentialImportError) as caught:
        read_codex_cli(path)
    mint.assert_clean(str(caught.value))
    mint.assert_clean(repr(caught.value))


def test_codex_cli_write_back_keeps_the_id_token_when_a_refresh_brought_none(
    tmp_path: Path, mint: TokenMint
) -> None:
    path = tmp_path / "auth.json"
    first = mint.tokens()
    write_json(path, codex_auth(first))
    link = read_codex_cli(path).link
    assert link is not None
    second = refreshed(mint.tokens()).model_copy(update={"id_token": None})

    write_back(link, second)

    written = json.loads(path.read_text())["tokens"]
    assert written["id_token"] == first.id_token
    assert written["access_token"] == second.access_token
    assert written["refresh_token"] == second.refresh_token


def test_find_sources_counts_pi_multicodex_accounts(tmp_path: Path, mint: TokenMint) -> None:
    agent_dir = tmp_path / "agent"
    alice = mint.tokens()
    account = {
        "email": "alice",
        "accessToken": alice.access_token,
        "refreshToken": alice.refresh_token,
        "expiresAt": alice.exp * 1000,
    }
    write_json(agent_dir / "codex-accounts.json", {"version": 1, "accounts": [account]})
    env = {"HOME": str(tmp_path), "PI_CODING_AGENT_DIR": str(agent_dir)}
    sources = {s.kind: s for s in find_sources(env)}
    assert sources["pi-multicodex"].exists
    assert sources["pi-multicodex"].note == "1 account(s)"
    assert not sources["pi"].exists
