"""The Codex CLI's credentials: ``$CODEX_HOME/auth.json``, default ``~/.codex/auth.json``.

Written back in the CLI's own layout: every key we do not own is kept as it was, under the
CLI's own commit lock (`codex_lock`). Reads take no lock: the CLI replaces the file by
renaming a complete temp file over it, and decides to refresh without a lock too.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from multicodex.auth.claims import TokenClaims, merge_claims
from multicodex.auth.freshness import is_newer
from multicodex.auth.importers.codex_lock import DEFAULT_WAIT_SECONDS, codex_auth_lock
from multicodex.auth.importers.common import (
    ApiKeyOnlyError,
    CredentialImportError,
    CredentialsFormatError,
    CredentialsNotFoundError,
    ImportedCredentials,
    KeyringOnlyError,
    LinkMismatchError,
    format_rfc3339,
    link_for,
    nonempty_string,
    now_or,
    parse_rfc3339,
    read_json_object,
    require_identity,
    write_json_object,
)
from multicodex.model import TokenSet, identity_key
from multicodex.store.files import read_regular

log = logging.getLogger(__name__)

CODEX_HOME_ENV = "CODEX_HOME"
AUTH_FILE_NAME = "auth.json"
CONFIG_FILE_NAME = "config.toml"
STORE_MODE_KEY = "cli_auth_credentials_store"
KEYRING_MODES = frozenset({"keyring", "auto"})
API_KEY_MODES = frozenset({"apikey", "api_key"})
WHAT = "Codex CLI credentials"


def codex_home(env: Mapping[str, str], user_home: Path) -> Path:
    configured = env.get(CODEX_HOME_ENV)
    return Path(configured).expanduser() if configured else user_home / ".codex"


def credentials_store_mode(home: Path) -> str | None:
    """``cli_auth_credentials_store`` from the CLI's config.toml (None when unset)."""
    try:
        text = read_regular(home / CONFIG_FILE_NAME, follow_symlinks=True).decode("utf-8")
        config = tomllib.loads(text)
    except (OSError, ValueError, RecursionError):  # a named pipe, bad TOML, deep nesting
        return None
    mode = config.get(STORE_MODE_KEY)
    return mode if isinstance(mode, str) else None


def read_codex_cli(path: Path) -> ImportedCredentials:
    """Import the ChatGPT login in the Codex CLI's auth.json."""
    data = _read(path)
    tokens, claims = _parse(data, path)
    mode = credentials_store_mode(path.parent)
    if mode == "keyring":
        log.warning(
            "%s sets %s = %r: the Codex CLI reads its keyring, so %s may be stale",
            path.parent / CONFIG_FILE_NAME,
            STORE_MODE_KEY,
            mode,
            path,
        )
    return ImportedCredentials(
        tokens=tokens, claims=claims, link=link_for("codex-cli", path, claims)
    )


def read_codex_cli_tokens(path: Path, expected_key: str) -> TokenSet | None:
    """The tokens the file holds now, if it still holds the account ``expected_key``."""
    try:
        data = read_json_object(path, WHAT)
    except CredentialsNotFoundError:
        return None
    try:
        tokens, claims = _parse(data, path)
    except CredentialsFormatError:
        return None
    return tokens if _key(claims) == expected_key else None


def write_back_codex_cli(
    path: Path,
    tokens: TokenSet,
    expected_key: str,
    now: float | None,
    *,
    lock_wait: float = DEFAULT_WAIT_SECONDS,
) -> None:
    """Put refreshed tokens into auth.json, keeping every other key as it was.

    Read, check and write happen under the CLI's lock, so a refresh the CLI commits
    meanwhile is either seen here (and kept) or waits until we are done."""
    with codex_auth_lock(path, wait=lock_wait):
        data = read_json_object(path, WHAT)
        current, claims = _current_login(data, path, expected_key)
        if is_newer(current, tokens):
            raise CredentialImportError(
                f"{path} holds newer tokens than MultiCodex (the Codex CLI signed in or "
                "refreshed since); left it untouched",
                path,
            )
        _put_tokens(data, tokens, claims, now)
        write_json_object(path, data)


def _current_login(
    data: dict[str, Any], path: Path, expected_key: str
) -> tuple[TokenSet, TokenClaims]:
    """The login the file holds, refused unless it is still the account we refreshed."""
    try:
        current, claims = _parse(data, path)
    except CredentialsFormatError:
        raise LinkMismatchError(
            f"{path} no longer holds a ChatGPT login; left it untouched", path
        ) from None
    if _key(claims) != expected_key:
        raise LinkMismatchError(f"{path} now holds another account; left it untouched", path)
    return current, claims


def _put_tokens(
    data: dict[str, Any], tokens: TokenSet, current: TokenClaims, now: float | None
) -> None:
    section: dict[str, Any] = data["tokens"]
    if tokens.id_token:
        section["id_token"] = tokens.id_token
    section["access_token"] = tokens.access_token
    section["refresh_token"] = tokens.refresh_token
    if not nonempty_string(section.get("account_id")) and current.account_id:
        section["account_id"] = current.account_id
    data["last_refresh"] = format_rfc3339(tokens.last_refresh or now_or(now))


def _read(path: Path) -> dict[str, Any]:
    try:
        return read_json_object(path, WHAT)
    except CredentialsNotFoundError:
        mode = credentials_store_mode(path.parent)
        if mode in KEYRING_MODES:
            raise KeyringOnlyError(
                f"Codex keeps its credentials in the OS keyring ({STORE_MODE_KEY} = "
                f'"{mode}" in {path.parent / CONFIG_FILE_NAME}), so there is no {path} to '
                f'import. Set {STORE_MODE_KEY} = "file" there and run `codex login` again, '
                "then import.",
                path,
            ) from None
        raise


def _parse(data: dict[str, Any], path: Path) -> tuple[TokenSet, TokenClaims]:
    section = data.get("tokens")
    access = nonempty_string(section.get("access_token")) if isinstance(section, dict) else None
    if access is None or not isinstance(section, dict):
        if data.get("auth_mode") in API_KEY_MODES or nonempty_string(data.get("OPENAI_API_KEY")):
            raise ApiKeyOnlyError(
                f"{path} holds only an OpenAI API key; MultiCodex needs a ChatGPT login "
                '(run `codex login` and choose "Sign in with ChatGPT")',
                path,
            )
        raise CredentialsFormatError(f"{path} holds no ChatGPT tokens", path)
    refresh = nonempty_string(section.get("refresh_token"))
    if refresh is None:
        raise CredentialsFormatError(f"{path} holds no refresh token", path)
    id_token = nonempty_string(section.get("id_token"))
    claims = merge_claims(access, id_token)
    explicit_account = nonempty_string(section.get("account_id"))
    if explicit_account:
        claims = claims.model_copy(update={"account_id": explicit_account})
    require_identity(claims, path)
    tokens = TokenSet(
        access_token=access,
        refresh_token=refresh,
        id_token=id_token,
        expires_at=claims.expires_at or 0.0,  # unknown expiry: treat as due for refresh
        last_refresh=parse_rfc3339(data.get("last_refresh")),
    )
    return tokens, claims


def _key(claims: TokenClaims) -> str:
    return identity_key(claims.account_id, claims.email)
