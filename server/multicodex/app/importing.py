"""Accounts other tools are logged in with: where they are, and importing them."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path

from multicodex.app.errors import AppError
from multicodex.app.views import account_ref
from multicodex.auth.importers import (
    CredentialImportError,
    ImportedCredentials,
    find_sources,
    read_source,
)
from multicodex.pool import Pool
from multicodex.pool.membership import CredentialOutcome
from multicodex.protocol import (
    AccountRef,
    AccountsImportParams,
    AccountsImportResult,
    ErrorCode,
    ImportFailedData,
    ImportSource,
    ImportSourceInfo,
    ImportSourceKind,
    ImportSourceResult,
)


def describe_sources(env: Mapping[str, str]) -> list[ImportSourceInfo]:
    """The three default locations, whether each exists and what it holds."""
    return [
        ImportSourceInfo(
            kind=source.kind,
            path=str(source.path),
            exists=source.exists,
            note=_note(source.kind, source.path, source.note) if source.exists else None,
        )
        for source in find_sources(env)
    ]


async def import_accounts(
    pool: Pool, params: AccountsImportParams, env: Mapping[str, str]
) -> AccountsImportResult:
    """Read every requested source, then save what they hold in one pass through the pool."""
    defaults = {source.kind: source.path for source in find_sources(env)}
    wanted = params.sources or [ImportSource(kind=kind) for kind in defaults]
    reads = await asyncio.to_thread(
        lambda: [
            _read(s.kind, Path(s.path), named=True) if s.path else _read(s.kind, defaults[s.kind])
            for s in wanted
        ]
    )
    results = [await _save(pool, read, params.link) for read in reads]
    added = sum(len(r.added) for r in results)
    updated = sum(len(r.updated) for r in results)
    if not any(r.added or r.updated or r.unchanged or r.kept for r in results) and any(
        r.error for r in results
    ):
        raise _import_failed(results)
    return AccountsImportResult(sources=results, added_count=added, updated_count=updated)


async def import_file(
    pool: Pool, kind: ImportSourceKind, path: Path, *, link: bool = True
) -> ImportSourceResult:
    """One tool's credential file into the pool (a missing file is not found, no error)."""
    read = await asyncio.to_thread(_read, kind, path)
    return await _save(pool, read, link)


class _SourceRead:
    def __init__(
        self,
        kind: ImportSourceKind,
        path: Path,
        found: bool,
        credentials: list[ImportedCredentials],
        error: str | None,
    ) -> None:
        self.kind = kind
        self.path = path
        self.found = found
        self.credentials = credentials
        self.error = error


def _read(kind: ImportSourceKind, path: Path, *, named: bool = False) -> _SourceRead:
    """What the file holds; a default place that is empty is simply not found, a file the
    user named that is not there is an error."""
    try:
        path = path.expanduser().absolute()
        if not path.exists():
            return _SourceRead(kind, path, False, [], f"no such file: {path}" if named else None)
        return _SourceRead(kind, path, True, read_source(kind, path), None)
    except CredentialImportError as exc:
        return _SourceRead(kind, path, True, [], str(exc))
    except OSError as exc:
        return _SourceRead(kind, path, False, [], f"cannot read {path}: {exc.strerror or exc}")
    except (ValueError, RuntimeError):  # unusable path: NUL, no home directory, ...
        return _SourceRead(kind, path, False, [], f"cannot read {path}: not a usable path")


async def _save(pool: Pool, read: _SourceRead, link: bool) -> ImportSourceResult:
    credentials = read.credentials if link else [_unlinked(c) for c in read.credentials]
    saved = await pool.add_credentials(credentials) if credentials else []
    by_outcome: dict[CredentialOutcome, list[AccountRef]] = {
        "added": [],
        "updated": [],
        "unchanged": [],
        "kept": [],
    }
    for account, outcome in saved:
        by_outcome[outcome].append(account_ref(account))
    return ImportSourceResult(
        kind=read.kind,
        path=str(read.path),
        found=read.found,
        added=by_outcome["added"],
        updated=by_outcome["updated"],
        unchanged=by_outcome["unchanged"],
        kept=by_outcome["kept"],
        error=read.error,
    )


def _unlinked(creds: ImportedCredentials) -> ImportedCredentials:
    if creds.link is None:
        return creds
    return creds.model_copy(update={"link": creds.link.model_copy(update={"linked": False})})


def _import_failed(results: list[ImportSourceResult]) -> AppError:
    problems = "; ".join(
        r.error if r.path in r.error else f"{r.path}: {r.error}" for r in results if r.error
    )
    return AppError(
        ErrorCode.IMPORT_FAILED,
        f"Nothing could be imported: {problems}",
        ImportFailedData(sources=results),
    )


def _note(kind: ImportSourceKind, path: Path, problem: str | None) -> str | None:
    """Why the file cannot be imported, else who is in it."""
    if problem is not None or kind == "pi-multicodex":
        return problem
    try:
        found = read_source(kind, path)
    except (CredentialImportError, ValueError) as exc:
        return str(exc)
    emails = ", ".join(c.claims.email or c.claims.account_id or "?" for c in found)
    return f"{len(found)} ChatGPT account: {emails}"
