"""Store entries made from tokens the emulator issued, the way a login would save them."""

from __future__ import annotations

import time
from typing import Any

from multicodex.auth.importers import ImportedCredentials
from multicodex.auth.tokens import login_result, tokens_from_response
from multicodex.model import StoredAccount
from multicodex.pool.membership import new_account


def stored_account(issued: dict[str, Any]) -> StoredAccount:
    """The store entry for a token-endpoint answer (identity from the tokens)."""
    login = login_result(tokens_from_response(issued))
    return new_account(ImportedCredentials(tokens=login.tokens, claims=login.claims), time.time())
