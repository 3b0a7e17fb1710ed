"""Where the other tools keep credentials on this machine, and what is there."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from pydantic import BaseModel

from multicodex.auth.importers import codex_cli, pi, pi_multicodex
from multicodex.auth.importers.common import CredentialImportError, ImportedCredentials
from multicodex.model import ImportSourceKind


class SourceInfo(BaseModel):
    kind: ImportSourceKind
    path: Path
    exists: bool
    note: str | None = None
    """Why the source cannot be imported, or what it holds; for people."""


def find_sources(env: Mapping[str, str] | None = None) -> list[SourceInfo]:
    """The three credential locations this machine's environment points at."""
    environ = os.environ if env is None else env
    user_home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    agent_dir = pi.pi_agent_dir(environ, user_home)
    return [
        _codex_cli_source(codex_cli.codex_home(environ, user_home) / codex_cli.AUTH_FILE_NAME),
        _pi_source(agent_dir / pi.AUTH_FILE_NAME),
        _pi_multicodex_source(agent_dir / pi_multicodex.FILE_NAME),
    ]


def read_source(kind: ImportSourceKind, path: Path) -> list[ImportedCredentials]:
    """Every account a source holds (one for the Codex CLI and pi)."""
    if kind == "codex-cli":
        return [codex_cli.read_codex_cli(path)]
    if kind == "pi":
        return [pi.read_pi(path)]
    return pi_multicodex.read_pi_multicodex(path)


def _codex_cli_source(path: Path) -> SourceInfo:
    return SourceInfo(
        kind="codex-cli",
        path=path,
        exists=path.is_file(),
        note=_problem(lambda: codex_cli.read_codex_cli(path)),
    )


def _pi_source(path: Path) -> SourceInfo:
    return SourceInfo(
        kind="pi", path=path, exists=path.is_file(), note=_problem(lambda: pi.read_pi(path))
    )


def _pi_multicodex_source(path: Path) -> SourceInfo:
    note = _problem(lambda: pi_multicodex.read_pi_multicodex(path))
    if note is None:
        note = f"{pi_multicodex.count_accounts(path)} account(s)"
    return SourceInfo(kind="pi-multicodex", path=path, exists=path.is_file(), note=note)


def _problem(read: Callable[[], object]) -> str | None:
    """Why reading the source fails (None when it can be imported)."""
    try:
        read()
    except CredentialImportError as exc:
        return str(exc)
    return None
