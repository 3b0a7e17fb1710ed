"""The original pi-multicodex extension's pool: ``<pi agent dir>/codex-accounts.json``.

Its accounts were keyed by whatever the user typed at login. Here identity comes from the
tokens; the typed text survives only as a display label, and only when it does not
contradict the login (an email label naming someone else is dropped).
"""

from __future__ import annotations

import logging
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
from multicodex.model import TokenSet, identity_key

log = logging.getLogger(__name__)

FILE_NAME = "codex-accounts.json"
WHAT = "pi-multicodex accounts"
KNOWN_VERSION = 1
REAUTH_REASON = "pi-multicodex had marked this account as needing a new login"


def read_pi_multicodex(path: Path) -> list[ImportedCredentials]:
    """Every usable account of the file, in file order; unusable ones are skipped (logged)."""
    imported: list[ImportedCredentials] = []
    for index, item in enumerate(_accounts(read_json_object(path, WHAT), path), start=1):
        try:
            imported.append(_import(item, path))
        except CredentialsFormatError as exc:
            log.warning("skipped account #%d of %s: %s", index, path, exc)
    return imported


def count_accounts(path: Path) -> int:
    try:
        return len(_accounts(read_json_object(path, WHAT), path))
    except (CredentialsNotFoundError, CredentialsFormatError):
        return 0


def read_pi_multicodex_tokens(path: Path, expected_key: str) -> TokenSet | None:
    """The tokens the file holds for ``expected_key`` (None if gone or marked for re-login)."""
    try:
        accounts = _accounts(read_json_object(path, WHAT), path)
    except (CredentialsNotFoundError, CredentialsFormatError):
        return None
    for item in accounts:
        try:
            tokens, claims = _parse(item, path)
        except CredentialsFormatError:
            continue
        if _key(claims) == expected_key and item.get("needsReauth") is not True:
            return tokens
    return None


def write_back_pi_multicodex(path: Path, tokens: TokenSet, expected_key: str) -> None:
    """Update the first account of the file that is ``expected_key``; keep everything else."""
    data = read_json_object(path, WHAT)
    for item in _accounts(data, path):
        try:
            _, claims = _parse(item, path)
        except CredentialsFormatError:
            continue
        if _key(claims) != expected_key:
            continue
        item["accessToken"] = tokens.access_token
        item["refreshToken"] = tokens.refresh_token
        item["expiresAt"] = round(tokens.expires_at * 1000)
        if claims.account_id:
            item["accountId"] = claims.account_id
        item.pop("needsReauth", None)
        write_json_object(path, data)
        return
    raise LinkMismatchError(f"{path} no longer holds this account; left it untouched", path)


def _accounts(data: dict[str, Any], path: Path) -> list[Any]:
    version = data.get("version")
    if version is not None and version != KNOWN_VERSION:
        raise CredentialsFormatError(
            f"{path} has a format version this importer does not know", path
        )
    accounts = data.get("accounts")
    if not isinstance(accounts, list):
        raise CredentialsFormatError(f"{path} has no list of accounts", path)
    return accounts


def _import(item: object, path: Path) -> ImportedCredentials:
    tokens, claims = _parse(item, path)
    assert isinstance(item, dict)  # _parse accepted it
    needs_reauth = item.get("needsReauth") is True
    return ImportedCredentials(
        tokens=tokens,
        claims=claims,
        link=link_for("pi-multicodex", path, claims, linked=False),
        label=_label(nonempty_string(item.get("email")), claims.email),
        needs_reauth=needs_reauth,
        reauth_reason=REAUTH_REASON if needs_reauth else None,
    )


def _parse(item: object, path: Path) -> tuple[TokenSet, TokenClaims]:
    if not isinstance(item, dict):
        raise CredentialsFormatError("the entry is not an object", path)
    access = nonempty_string(item.get("accessToken"))
    refresh = nonempty_string(item.get("refreshToken"))
    expires_ms = number(item.get("expiresAt"))
    if access is None or refresh is None or expires_ms is None:
        raise CredentialsFormatError("it lacks accessToken, refreshToken or expiresAt", path)
    claims = merge_claims(access)
    stored_account = nonempty_string(item.get("accountId"))
    if claims.account_id is None and stored_account:
        claims = claims.model_copy(update={"account_id": stored_account})
    require_identity(claims, path)
    tokens = TokenSet(access_token=access, refresh_token=refresh, expires_at=expires_ms / 1000)
    return tokens, claims


def _label(typed: str | None, token_email: str | None) -> str | None:
    """The user's old identifier as a display label, when it adds information."""
    if typed is None:
        return None
    if token_email is None:
        return typed
    if typed.casefold() == token_email.casefold():
        return None
    if "@" in typed:
        log.warning(
            "the pi-multicodex label %r does not match the login's email %r; using the email",
            typed,
            token_email,
        )
        return None
    return typed


def _key(claims: TokenClaims) -> str:
    return identity_key(claims.account_id, claims.email)
