"""The shape of the store document. Every field that reaches disk is declared here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from typing_extensions import TypeAliasType

from multicodex.codex.usage import UsageSnapshot

STORE_VERSION = 1


class TokenSet(BaseModel):
    access_token: str
    refresh_token: str
    id_token: str | None = None
    expires_at: float
    """Access-token expiry, unix seconds."""
    last_refresh: float | None = None

    def __repr__(self) -> str:  # tokens must never reach logs or tracebacks
        return f"TokenSet(expires_at={self.expires_at})"

    __str__ = __repr__


SourceKind = Literal["codex-cli", "pi", "pi-multicodex", "login"]


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


# Named, so the protocol's JSON Schema carries each list of values once.
UsageMode = TypeAliasType("UsageMode", Literal["left", "used"])
ResetWindow = TypeAliasType("ResetWindow", Literal["5h", "7d", "both"])
FooterOrder = TypeAliasType("FooterOrder", Literal["account-first", "usage-first"])


class FooterSettings(BaseModel):
    """Footer preferences (formats of the original, pi-multicodex-spec §12)."""

    usage_mode: UsageMode = "left"
    reset_window: ResetWindow = "7d"
    show_account: bool = True
    show_reset: bool = True
    order: FooterOrder = "account-first"


class RotationPolicy(BaseModel):
    strategy: str = "default"
    retry_limit: int = Field(default=5, ge=0, le=50)
    fallback_cooldown_seconds: int = Field(default=3600, ge=1)
    sticky: bool = True
    first_output_timeout_seconds: float = Field(default=20.0, gt=0, le=600)
    """The backend starts an answer (headers, first event) within a few seconds; past this
    the account is taken as stalled and the request moves on before the user waits long."""
    stall_timeout_seconds: float = Field(default=120.0, gt=0, le=3600)
    """Once the answer has started a reasoning model may think silently for a while; past
    this silence the stream is taken as dead."""


class Settings(BaseModel):
    footer: FooterSettings = Field(default_factory=FooterSettings)
    rotation: RotationPolicy = Field(default_factory=RotationPolicy)
    persist_pin: bool = False
    usage_ttl_seconds: int = Field(default=300, ge=1)


class StoreDocument(BaseModel):
    model_config = ConfigDict(extra="ignore")

    version: int = STORE_VERSION
    accounts: list[StoredAccount] = Field(default_factory=list)
    pinned: str | None = None
    """Manual pin (an account key); only kept on disk when settings.persist_pin."""
    active: str | None = None
    settings: Settings = Field(default_factory=Settings)

    def find(self, key: str) -> StoredAccount | None:
        return next((a for a in self.accounts if a.key == key), None)


def identity_key(account_id: str | None, email: str | None) -> str:
    """The rotation slot an account occupies: ChatGPT account id plus user email.

    Team workspaces share an account id between users, so the email is part of it.
    """
    if not account_id and not email:
        raise ValueError("an account needs an account id or an email in its tokens")
    return f"{(email or '').lower()}|{account_id or ''}"
