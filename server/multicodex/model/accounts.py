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


ModelGateReason = Literal["plan", "version"]


class ModelGate(BaseModel):
    """A model this account cannot serve: its plan lacks it, or the backend answered that
    the model "requires a newer version of Codex". Routing skips the account for that
    model only; the account keeps serving the others."""

    reason: ModelGateReason
    detail: str
    """What the backend said, or which plan's model list lacks the model."""
    at: float
    minimal_client_version: str | None = None
    """For ``version``: the client version the model needs, when known."""
    client_version: str | None = None
    """For ``version``: the client version that was refused; another one re-checks."""


class BucketCooldown(BaseModel):
    """A model-scoped limit (e.g. Spark's) that is exhausted until ``until``: the account
    still serves models metered on its other limits."""

    until: float
    reason: str


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
    bucket_cooldowns: dict[str, BucketCooldown] = {}
    """By bucket id (``quota.bucket_for_model``); the general bucket uses ``cooldown_until``."""
    model_gates: dict[str, ModelGate] = {}
    """By model slug."""
    reset_credit_spent_at: float | None = None
    """When a MultiCodex process last spent a rate-limit reset credit on this account:
    every process sharing the store uses that spend instead of spending another."""
    reset_credit_redeem_id: str | None = None
    """The redeem id of that spend."""
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
