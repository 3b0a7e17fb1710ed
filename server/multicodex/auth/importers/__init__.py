"""Credentials other tools already hold: the Codex CLI, pi, and the original pi-multicodex.

Importing reads them; a linked account stays in sync both ways: tokens the other tool
refreshed are adopted (`read_linked_tokens`), tokens we refreshed are written back in the
other tool's own format (`write_back`), because a refresh token works only once.
Both check that the file still holds the same account before touching anything.
"""

from __future__ import annotations

from pathlib import Path

from multicodex.auth.claims import merge_claims
from multicodex.auth.freshness import is_newer
from multicodex.auth.importers.codex_cli import (
    read_codex_cli,
    read_codex_cli_tokens,
    write_back_codex_cli,
)
from multicodex.auth.importers.common import (
    ApiKeyOnlyError,
    CredentialImportError,
    CredentialsFormatError,
    CredentialsLockedError,
    CredentialsNotFoundError,
    ImportedCredentials,
    KeyringOnlyError,
    LinkMismatchError,
)
from multicodex.auth.importers.pi import read_pi, read_pi_tokens, write_back_pi
from multicodex.auth.importers.pi_multicodex import (
    read_pi_multicodex,
    read_pi_multicodex_tokens,
    write_back_pi_multicodex,
)
from multicodex.auth.importers.sources import (
    SourceInfo,
    find_sources,
    read_source,
)
from multicodex.model import AccountLink, ImportSourceKind, TokenSet, identity_key

__all__ = [
    "ApiKeyOnlyError",
    "CredentialImportError",
    "CredentialsFormatError",
    "CredentialsLockedError",
    "CredentialsNotFoundError",
    "ImportSourceKind",
    "ImportedCredentials",
    "KeyringOnlyError",
    "LinkMismatchError",
    "SourceInfo",
    "find_sources",
    "newer_linked_tokens",
    "read_codex_cli",
    "read_linked_tokens",
    "read_pi",
    "read_pi_multicodex",
    "read_source",
    "write_back",
]


def write_back(link: AccountLink, tokens: TokenSet, *, now: float | None = None) -> None:
    """Store refreshed tokens in the linked tool's file, in that tool's format (0600,
    atomic). Raises a `CredentialImportError` (an OSError) when the file is gone, now
    holds another account or newer tokens (the other tool signed in again since), or
    stays locked; the file is then left untouched."""
    if link.kind == "login":
        return
    path = Path(link.path)
    expected = link.account_key or _identity_of(tokens, path)
    theirs = read_linked_tokens(link) if link.account_key else None
    if theirs is not None and is_newer(theirs, tokens):
        raise CredentialImportError(
            f"{path} holds newer tokens than MultiCodex (the other tool signed in or "
            "refreshed since); left it untouched",
            path,
        )
    if link.kind == "codex-cli":
        write_back_codex_cli(path, tokens, expected, now)
    elif link.kind == "pi":
        write_back_pi(path, tokens, expected)
    else:
        write_back_pi_multicodex(path, tokens, expected)


def read_linked_tokens(link: AccountLink) -> TokenSet | None:
    """The tokens the linked file holds now for the link's account.

    None when the file vanished, no longer holds that account, or the link does not say
    which account it belongs to.
    """
    if link.kind == "login" or link.account_key is None:
        return None
    path = Path(link.path)
    if link.kind == "codex-cli":
        return read_codex_cli_tokens(path, link.account_key)
    if link.kind == "pi":
        return read_pi_tokens(path, link.account_key)
    return read_pi_multicodex_tokens(path, link.account_key)


def newer_linked_tokens(link: AccountLink, current: TokenSet) -> TokenSet | None:
    """The linked file's tokens when the other tool has replaced ours with later ones."""
    theirs = read_linked_tokens(link)
    if theirs is None or not is_newer(theirs, current):
        return None
    return theirs


def _identity_of(tokens: TokenSet, path: Path) -> str:
    claims = merge_claims(tokens.access_token, tokens.id_token)
    if not claims.account_id and not claims.email:
        raise LinkMismatchError(
            f"cannot tell which account the tokens for {path} belong to; left it untouched", path
        )
    return identity_key(claims.account_id, claims.email)
