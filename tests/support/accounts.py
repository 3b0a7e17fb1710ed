"""Store entries made from tokens the emulator issued, the way a login would save them."""

from __future__ import annotations

import time
from typing import Any

from multicodex.auth.tokens import login_result, tokens_from_response
from multicodex.store.schema import StoredAccount, identity_key


def stored_account(issued: dict[str, Any]) -> StoredAccount:
    """The store entry for a token-endpoint answer (identity from the tokens)."""
    login = login_result(tokens_from_response(issued))
    claims = login.claims
    return StoredAccount(
        key=identity_key(claims.account_id, claims.email),
        email=claims.email,
        account_id=claims.account_id,
        plan=claims.plan,
        tokens=login.tokens,
        added_at=time.time(),
    )
