"""Putting credentials into the document: one slot per account identity, never per label."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Literal

from multicodex.auth.freshness import is_newer, same_tokens
from multicodex.auth.importers.common import ImportedCredentials
from multicodex.model import StoredAccount
from multicodex.store.schema import StoreDocument

log = logging.getLogger(__name__)


CredentialOutcome = Literal["added", "updated", "unchanged", "kept"]
"""What saving credentials did: a new slot; newer tokens (this clears needs-reauth); the
same tokens; or nothing ("kept"), because the pool already holds a newer pair of that
account, or the imported pair needs a new login."""


def upsert_account(
    doc: StoreDocument, creds: ImportedCredentials, now: float
) -> tuple[StoredAccount, CredentialOutcome]:
    """Add the account the credentials belong to, or refresh the slot it already has.

    Returns the account as it now stands in ``doc`` and what happened. Updating replaces
    the tokens, identity fields and link, and clears a needs-reauth mark; the label,
    usage, cooldown and history stay. Older tokens never replace newer ones (a refresh
    token works once: the older pair is already spent), and credentials the other tool
    had already given up on (``needs_reauth``) never replace an existing account's tokens.
    """
    existing = doc.find(creds.key)
    if existing is None:
        account = new_account(creds, now)
        doc.accounts.append(account)
        return account, "added"
    if creds.needs_reauth:
        log.info("kept the tokens of %s: the imported ones need a new login", existing.display_name)
        return existing, "kept"
    if same_tokens(creds.tokens, existing.tokens):
        outcome: CredentialOutcome = "updated" if existing.needs_reauth else "unchanged"
        _refresh_slot(existing, creds)
        return existing, outcome
    if not is_newer(creds.tokens, existing.tokens):
        log.info("kept the newer tokens MultiCodex already has for %s", existing.display_name)
        return existing, "kept"
    _refresh_slot(existing, creds)
    return existing, "updated"


def upsert_accounts(
    doc: StoreDocument, imported: Iterable[ImportedCredentials], now: float
) -> list[tuple[StoredAccount, CredentialOutcome]]:
    return [upsert_account(doc, creds, now) for creds in imported]


def new_account(creds: ImportedCredentials, now: float) -> StoredAccount:
    """The store entry for credentials that have no slot yet (identity from the tokens)."""
    claims = creds.claims
    return StoredAccount(
        key=creds.key,
        email=claims.email,
        account_id=claims.account_id,
        user_id=claims.user_id,
        plan=claims.plan,
        label=creds.label,
        tokens=creds.tokens.model_copy(deep=True),
        needs_reauth=creds.needs_reauth,
        reauth_reason=creds.reauth_reason if creds.needs_reauth else None,
        source=creds.link.model_copy(deep=True) if creds.link else None,
        added_at=now,
    )


def _refresh_slot(account: StoredAccount, creds: ImportedCredentials) -> None:
    claims = creds.claims
    account.tokens = creds.tokens.model_copy(deep=True)
    account.email = claims.email or account.email
    account.account_id = claims.account_id or account.account_id
    account.user_id = claims.user_id or account.user_id
    account.plan = claims.plan or account.plan
    account.needs_reauth = False
    account.reauth_reason = None
    # The tokens now in the slot are the ones that file holds: refreshing them must keep
    # that file in step, so the slot follows the link of the newest credentials.
    account.source = creds.link.model_copy(deep=True) if creds.link else None
    if account.label is None and creds.label is not None:
        account.label = creds.label
