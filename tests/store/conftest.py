"""Fixtures for the store and importer tests: realistic unsigned ChatGPT tokens, a store
home, and a check that no token ever reaches a log record.

Helpers are handed out as fixtures so test modules never import each other.
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from multicodex.model import StoredAccount, TokenSet, identity_key

AUTH_CLAIM = "https://api.openai.com/auth"
PROFILE_CLAIM = "https://api.openai.com/profile"
ISSUED_AT = 1_790_000_000
LIFETIME = 864_000


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unsigned_jwt(payload: dict[str, Any]) -> str:
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": "test"}).encode())
    return f"{header}.{_b64(json.dumps(payload).encode())}.{_b64(secrets.token_bytes(32))}"


@dataclass(frozen=True)
class Minted:
    access_token: str
    id_token: str
    refresh_token: str
    account_id: str
    email: str
    exp: int


@dataclass
class TokenMint:
    """Builds access and id tokens with the claim layout of codex-wire §2 and remembers
    every secret it handed out, so tests can prove none of them leaked."""

    issued: list[str] = field(default_factory=list)

    def tokens(
        self,
        account_id: str = "11111111-2222-3333-4444-555555555555",
        email: str = "alice@example.test",
        *,
        plan: str = "plus",
        exp: int = ISSUED_AT + LIFETIME,
        user_id: str = "user-alice",
    ) -> Minted:
        auth = {
            "chatgpt_account_id": account_id,
            "chatgpt_plan_type": plan,
            "chatgpt_user_id": user_id,
            "user_id": user_id,
        }
        access = unsigned_jwt(
            {
                "iss": "https://auth.openai.com",
                "aud": ["https://api.openai.com/v1"],
                "client_id": "app_EMoamEEZ73f0CkXaXp7hrann",
                "scp": ["openid", "profile", "email", "offline_access"],
                "iat": exp - LIFETIME,
                "exp": exp,
                "sub": f"auth0|{user_id}",
                AUTH_CLAIM: auth,
                PROFILE_CLAIM: {"email": email, "email_verified": True},
            }
        )
        id_token = unsigned_jwt(
            {
                "iss": "https://auth.openai.com",
                "aud": ["app_EMoamEEZ73f0CkXaXp7hrann"],
                "iat": exp - LIFETIME,
                "exp": exp - LIFETIME + 3600,
                "email": email,
                "email_verified": True,
                AUTH_CLAIM: auth,
            }
        )
        refresh = f"rt_{secrets.token_urlsafe(24)}"
        for token in (access, id_token, refresh):
            self.issued.append(token)
        for token in (access, id_token):
            self.issued.append(token.split(".")[1])  # the payload alone is secret too
        return Minted(access, id_token, refresh, account_id, email, exp)

    def assert_clean(self, text: str) -> None:
        leaked = [s for s in self.issued if s in text]
        assert not leaked, f"{len(leaked)} secret(s) found in text"


@pytest.fixture
def mint(caplog: pytest.LogCaptureFixture) -> Iterator[TokenMint]:
    """A token factory; after the test, every log record is checked for its secrets."""
    caplog.set_level(logging.DEBUG)
    minted = TokenMint()
    yield minted
    records = [*caplog.get_records("setup"), *caplog.get_records("call"), *caplog.records]
    for record in records:
        minted.assert_clean(record.getMessage())
        if record.exc_info:
            minted.assert_clean(logging.Formatter().formatException(record.exc_info))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "multicodex-home"


@pytest.fixture
def stored_account(mint: TokenMint) -> Callable[..., StoredAccount]:
    """A `StoredAccount` for ``name`` with freshly minted tokens."""

    def make(name: str, **fields: Any) -> StoredAccount:
        minted = mint.tokens(account_id=f"acct-{name}", email=f"{name}@example.test")
        return StoredAccount(
            key=identity_key(minted.account_id, minted.email),
            email=minted.email,
            account_id=minted.account_id,
            tokens=TokenSet(
                access_token=minted.access_token,
                refresh_token=minted.refresh_token,
                id_token=minted.id_token,
                expires_at=float(minted.exp),
            ),
            added_at=fields.pop("added_at", 1.0),
            **fields,
        )

    return make
