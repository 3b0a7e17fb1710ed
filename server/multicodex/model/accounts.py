"""An account in the pool: who it is (from its tokens), its credentials, its health and
where else its credentials live."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from multicodex.model.tokens import TokenSet
from multicodex.model.usage import UsageSnapshot

ImportSourceKind = Literal["codex-cli", "pi", "pi-multicodex"]
"""A tool whose credential file MultiCodex can import."""
SourceKind = Literal[ImportSourceKind, "login"]


class AccountLink(BaseModel):
    """Where an imported account's credentials also live; kept in sync both ways."""

    kind: SourceKind
    path: str
    linked: bool = True
    """When true, refreshed tokens are written back so the other tool keeps working."""
    account_key: str | None = None
    """The `identity_key` of the account this link belongs to: write-back and adoption
    check that the other tool's file still holds that account before touching it."""


class StoredAccount(BaseModel):
    key: str
    """Identity from the tokens: see ``identity_key``. Never a free-text label."""
    email: str | None = None
    account_id: str | None = None
    user_id: str | None = None
    plan: str | None = None
    label: str | None = None
    """Optional display name chosen by the user."""
    tokens: TokenSet
    needs_reauth: bool = False
    reauth_reason: str | None = None
    cooldown_until: float | None = None
    cooldown_reason: str | None = None
    source: AccountLink | None = None
    usage: UsageSnapshot | None = None
    usage_error: str | None = None
    usage_error_at: float | None = None
    added_at: float
    last_used_at: float | None = None

    @property
    def display_name(self) -> str:
        return self.label or self.email or self.account_id or self.key


def identity_key(account_id: str | None, email: str | None) -> str:
    """The rotation slot an account occupies: ChatGPT account id plus user email.

    Team workspaces share an account id between users, so the email is part of it.
    """
    if not account_id and not email:
        raise ValueError("an account needs an account id or an email in its tokens")
    return f"{(email or '').lower()}|{account_id or ''}"
