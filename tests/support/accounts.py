"""Store entries made from tokens the emulator issued, the way a login would save them."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from multicodex.auth.importers import ImportedCredentials
from multicodex.auth.importers.common import format_rfc3339
from multicodex.auth.tokens import login_result, tokens_from_response
from multicodex.model import StoredAccount
from multicodex.pool.membership import new_account


def stored_account(issued: dict[str, Any]) -> StoredAccount:
    """The store entry for a token-endpoint answer (identity from the tokens)."""
    login = login_result(tokens_from_response(issued))
    return new_account(ImportedCredentials(tokens=login.tokens, claims=login.claims), time.time())


def write_codex_auth(path: Path, tokens: dict[str, Any], account_id: str) -> Path:
    """A Codex CLI auth.json as `codex login` leaves it (0600), holding ``tokens``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {
        "auth_mode": "chatgpt",
        "OPENAI_API_KEY": None,
        "tokens": {
            "id_token": tokens["id_token"],
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "account_id": account_id,
        },
        "last_refresh": format_rfc3339(time.time()),
    }
    path.write_text(json.dumps(body))
    path.chmod(0o600)
    return path
