"""Adding credentials to the pool: one slot per identity from the tokens, never per label."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from multicodex.auth.claims import merge_claims
from multicodex.auth.importers import ImportedCredentials, read_codex_cli
from multicodex.model import AccountLink, TokenSet, UsageSnapshot, identity_key
from multicodex.pool.membership import upsert_account, upsert_accounts
from multicodex.store.document import Store
from multicodex.store.schema import StoreDocument

if TYPE_CHECKING:
    from conftest import Minted, TokenMint


def credentials(
    minted: Minted,
    *,
    label: str | None = None,
    needs_reauth: bool = False,
    kind: str = "codex-cli",
) -> ImportedCredentials:
    claims = merge_claims(minted.access_token, minted.id_token)
    return ImportedCredentials(
        tokens=TokenSet(
            access_token=minted.access_token,
            refresh_token=minted.refresh_token,
            id_token=minted.id_token,
            expires_at=float(minted.exp),
        ),
        claims=claims,
        link=AccountLink.model_validate(
            {
                "kind": kind,
                "path": f"/somewhere/{kind}",
                "account_key": identity_key(claims.account_id, claims.email),
            }
        ),
        label=label,
        needs_reauth=needs_reauth,
        reauth_reason="it was marked" if needs_reauth else None,
    )


def test_the_same_account_twice_updates_its_one_slot(mint: TokenMint) -> None:
    doc = StoreDocument()
    first = mint.tokens()
    account, created = upsert_account(doc, credentials(first, label="work"), now=100.0)
    assert created == "added"
    assert account.key == identity_key(first.account_id, first.email)
    assert account.email == first.email
    assert account.plan == "plus"
    assert account.label == "work"
    assert account.added_at == 100.0
    account.needs_reauth = True
    account.reauth_reason = "refresh_token_reused"
    account.cooldown_until = 5000.0
    account.usage = UsageSnapshot(fetched_at=90.0)

    second = mint.tokens(exp=first.exp + 3600, plan="pro")
    again, created_again = upsert_account(doc, credentials(second, kind="pi"), now=200.0)

    assert created_again == "updated"
    assert again is doc.accounts[0]
    assert len(doc.accounts) == 1
    assert again.tokens.refresh_token == second.refresh_token
    assert again.tokens.expires_at == second.exp
    assert again.plan == "pro"
    assert not again.needs_reauth
    assert again.reauth_reason is None
    assert again.label == "work"
    assert again.cooldown_until == 5000.0
    assert again.usage is not None and again.usage.fetched_at == 90.0
    assert again.added_at == 100.0
    assert again.source is not None and again.source.kind == "pi"


def test_same_account_id_with_another_email_is_another_slot(mint: TokenMint) -> None:
    doc = StoreDocument()
    alice = mint.tokens(account_id="team-workspace", email="alice@example.test")
    bob = mint.tokens(account_id="team-workspace", email="bob@example.test")
    results = upsert_accounts(doc, [credentials(alice), credentials(bob)], now=1.0)
    assert [created for _, created in results] == ["added", "added"]
    assert len({a.key for a in doc.accounts}) == 2


def test_a_label_is_only_a_display_name(mint: TokenMint) -> None:
    doc = StoreDocument()
    alice = mint.tokens(email="alice@example.test")
    bob = mint.tokens(account_id="acct-bob", email="bob@example.test")
    upsert_account(doc, credentials(alice, label="main"), now=1.0)
    _, created = upsert_account(doc, credentials(bob, label="main"), now=2.0)
    assert created == "added"
    assert [a.display_name for a in doc.accounts] == ["main", "main"]
    assert [a.email for a in doc.accounts] == ["alice@example.test", "bob@example.test"]

    _, created = upsert_account(doc, credentials(mint.tokens(), label="other"), now=3.0)
    assert created != "added"
    assert doc.accounts[0].label == "main"


def test_dead_credentials_never_replace_live_ones(mint: TokenMint) -> None:
    doc = StoreDocument()
    live = mint.tokens()
    upsert_account(doc, credentials(live), now=1.0)

    account, created = upsert_account(doc, credentials(mint.tokens(), needs_reauth=True), now=2.0)
    assert created == "kept"
    assert account.tokens.refresh_token == live.refresh_token
    assert not account.needs_reauth

    fresh_doc = StoreDocument()
    marked, created = upsert_account(
        fresh_doc, credentials(mint.tokens(), needs_reauth=True), now=3.0
    )
    assert created == "added"
    assert marked.needs_reauth
    assert marked.reauth_reason == "it was marked"


def test_importing_the_same_file_twice_through_the_store_keeps_one_account(
    home: Path, tmp_path: Path, mint: TokenMint
) -> None:
    auth = tmp_path / "auth.json"
    minted = mint.tokens()
    tokens = {
        "id_token": minted.id_token,
        "access_token": minted.access_token,
        "refresh_token": minted.refresh_token,
    }
    auth.write_text(json.dumps({"tokens": tokens}))  # an old file: no auth_mode, no account_id
    store = Store.open(home)
    for now in (1.0, 2.0):
        with store.transaction() as doc:
            upsert_account(doc, read_codex_cli(auth), now=now)

    accounts = store.read().accounts
    assert len(accounts) == 1
    assert accounts[0].source is not None
    assert accounts[0].source.account_key == accounts[0].key
    assert accounts[0].source.path == str(auth)
