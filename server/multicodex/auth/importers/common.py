"""What every importer returns, the errors they raise, and small file helpers they share.

Messages name files and fields, never their values: credential files hold tokens.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from multicodex.auth.claims import TokenClaims
from multicodex.model import AccountLink, SourceKind, TokenSet, identity_key
from multicodex.store.atomic import write_private
from multicodex.store.files import NestedTooDeeply, WrongFileType, parse_json, read_regular


class ImportedCredentials(BaseModel):
    """One account's tokens as another tool stored them, and who they belong to."""

    tokens: TokenSet
    claims: TokenClaims
    """Identity read from the tokens (never from a free-text label)."""
    link: AccountLink | None = None
    label: str | None = None
    """A display name the other tool's user chose, when it adds something to the email."""
    needs_reauth: bool = False
    reauth_reason: str | None = None

    @property
    def key(self) -> str:
        return identity_key(self.claims.account_id, self.claims.email)


class CredentialImportError(OSError):
    """Another tool's credential file could not be used. ``path`` names it."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path

    def __str__(self) -> str:
        return str(self.args[0])


class CredentialsNotFoundError(CredentialImportError, FileNotFoundError):
    """The credential file (or the login inside it) does not exist."""


class KeyringOnlyError(CredentialsNotFoundError):
    """The Codex CLI keeps its credentials in the OS keyring, not in a file."""


class CredentialsFormatError(CredentialImportError, ValueError):
    """The file exists but does not hold usable ChatGPT credentials."""


class ApiKeyOnlyError(CredentialsFormatError):
    """The file holds only an OpenAI API key; MultiCodex needs a ChatGPT login."""


class LinkMismatchError(CredentialImportError):
    """The file now belongs to another account; it was left untouched."""


class CredentialsLockedError(CredentialImportError, TimeoutError):
    """The other tool held its lock on the file for too long."""


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """The file's JSON object; not-found and format errors name ``what`` and the path.

    A symbolic link is followed (other tools' files may be links), but a named pipe, a
    socket or a directory is refused at once, never waited on.
    """
    try:
        raw = read_regular(path, follow_symlinks=True)
    except FileNotFoundError:
        raise CredentialsNotFoundError(f"no {what} at {path}", path) from None
    except WrongFileType as wrong:
        raise CredentialsFormatError(f"{path} is {wrong.kind}, not {what}", path) from None
    try:
        data = parse_json(raw)
    except NestedTooDeeply:
        raise CredentialsFormatError(f"{path} is nested too deeply to be {what}", path) from None
    except ValueError:
        raise CredentialsFormatError(f"{path} is not valid JSON", path) from None
    if not isinstance(data, dict):
        raise CredentialsFormatError(f"{path} does not hold a JSON object", path)
    return data


def write_json_object(path: Path, data: dict[str, Any]) -> None:
    """Pretty JSON (2 spaces, no trailing newline, as both other tools write it), 0600.

    Another tool's file may be a symbolic link (a dotfiles manager, a shared CODEX_HOME):
    the file it points to is replaced, so the link stays and the other tool sees the new
    tokens."""
    target = Path(os.path.realpath(path))
    write_private(target, json.dumps(data, indent=2, ensure_ascii=False).encode("utf-8"))


def nonempty_string(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def require_identity(claims: TokenClaims, path: Path) -> None:
    if not claims.account_id and not claims.email:
        raise CredentialsFormatError(
            f"the tokens in {path} carry neither a ChatGPT account id nor an email", path
        )


def link_for(
    kind: SourceKind, path: Path, claims: TokenClaims, *, linked: bool = True
) -> AccountLink:
    return AccountLink(
        kind=kind,
        path=str(path),
        linked=linked,
        account_key=identity_key(claims.account_id, claims.email),
    )


def parse_rfc3339(value: object) -> float | None:
    """Unix seconds from an RFC 3339 timestamp (any fraction length, ``Z`` or offset)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def format_rfc3339(seconds: float) -> str:
    """RFC 3339 UTC with microseconds and ``Z`` (the Codex CLI's ``last_refresh`` style)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_or(now: float | None) -> float:
    return time.time() if now is None else now
