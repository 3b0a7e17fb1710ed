"""pi's credentials: the ``openai-codex`` entry of ``<agent dir>/auth.json``.

The agent dir is ``$PI_CODING_AGENT_DIR``, default ``~/.pi/agent``. The file holds every
provider pi knows; a write-back merges only our entry, under pi's own lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from multicodex.auth.claims import TokenClaims, merge_claims
from multicodex.auth.importers.common import (
    CredentialsFormatError,
    CredentialsNotFoundError,
    ImportedCredentials,
    LinkMismatchError,
    link_for,
    nonempty_string,
    number,
    read_json_object,
    require_identity,
    write_json_object,
)
from multicodex.auth.importers.pi_lock import DEFAULT_WAIT_SECONDS, pi_file_lock
from multicodex.model import TokenSet, identity_key

AGENT_DIR_ENV = "PI_CODING_AGENT_DIR"
AUTH_FILE_NAME = "auth.json"
PROVIDER = "openai-codex"
WHAT = "pi credentials"


def pi_agent_dir(env: Mapping[str, str], user_home: Path) -> Path:
    configured = env.get(AGENT_DIR_ENV)
    return Path(configured).expanduser() if configured else user_home / ".pi" / "agent"


def read_pi(path: Path) -> ImportedCredentials:
    """Import pi's ``openai-codex`` login."""
    entry = _entry(read_json_object(path, WHAT), path)
    tokens, claims = _parse(entry, path)
    return ImportedCredentials(tokens=tokens, claims=claims, link=link_for("pi", path, claims))


def read_pi_tokens(path: Path, expected_key: str) -> TokenSet | None:
    """The tokens pi holds now, if its login is still the account ``expected_key``."""
    try:
        tokens, claims = _parse(_entry(read_json_object(path, WHAT), path), path)
    except (CredentialsNotFoundError, CredentialsFormatError):
        return None  # gone, logged out, or caught mid-write by pi: nothing to adopt now
    return tokens if _key(claims) == expected_key else None


def write_back_pi(
    path: Path, tokens: TokenSet, expected_key: str, *, lock_wait: float = DEFAULT_WAIT_SECONDS
) -> None:
    """Replace pi's ``openai-codex`` tokens, under pi's lock, preserving everything else."""
    with pi_file_lock(path, wait=lock_wait):
        data = read_json_object(path, WHAT)
        try:
            entry = _entry(data, path)
            _, current = _parse(entry, path)
        except (CredentialsNotFoundError, CredentialsFormatError):
            raise LinkMismatchError(
                f"{path} no longer holds an {PROVIDER} login; left it untouched", path
            ) from None
        if _key(current) != expected_key:
            raise LinkMismatchError(f"{path} now holds another account; left it untouched", path)
        claims = merge_claims(tokens.access_token)
        entry["type"] = "oauth"
        entry["access"] = tokens.access_token
        entry["refresh"] = tokens.refresh_token
        entry["expires"] = round(tokens.expires_at * 1000)
        account_id = claims.account_id or current.account_id
        if account_id:
            entry["accountId"] = account_id
        write_json_object(path, data)


def _entry(data: dict[str, Any], path: Path) -> dict[str, Any]:
    entry = data.get(PROVIDER)
    if entry is None:
        raise CredentialsNotFoundError(f"{path} holds no {PROVIDER} login", path)
    if not isinstance(entry, dict) or entry.get("type") != "oauth":
        raise CredentialsFormatError(f"the {PROVIDER} entry of {path} is not an OAuth login", path)
    return entry


def _parse(entry: dict[str, Any], path: Path) -> tuple[TokenSet, TokenClaims]:
    access = nonempty_string(entry.get("access"))
    refresh = nonempty_string(entry.get("refresh"))
    expires_ms = number(entry.get("expires"))
    if access is None or refresh is None or expires_ms is None:
        raise CredentialsFormatError(
            f"the {PROVIDER} entry of {path} lacks access, refresh or expires", path
        )
    claims = merge_claims(access)
    stored_account = nonempty_string(entry.get("accountId")) or nonempty_string(
        entry.get("account_id")
    )
    if claims.account_id is None and stored_account:
        claims = claims.model_copy(update={"account_id": stored_account})
    require_identity(claims, path)
    tokens = TokenSet(access_token=access, refresh_token=refresh, expires_at=expires_ms / 1000)
    return tokens, claims


def _key(claims: TokenClaims) -> str:
    return identity_key(claims.account_id, claims.email)
