"""The words for a store document that was partly invalid and is used without its invalid
parts: the one warning each client shows (the CLI's line, the editor's message at start)
and the ``verify`` check that names the settings that fell back and the side files.

The check warns rather than fails: MultiCodex works with everything else, and the user
should act on what was set aside (sign those accounts in again or mend them by hand).
"""

from __future__ import annotations

from pathlib import Path

from multicodex.protocol import VerifyCheck
from multicodex.store.backend import StoreBackend
from multicodex.store.errors import StoreError
from multicodex.store.salvage import FieldFallback, Repairs, SetAsideAccount
from multicodex.store.set_aside import SideFile

CHECK_NAME = "store_invalid_parts"
CHECK_LABEL = "invalid parts of the store"
NOTHING = "none"
WHAT_TO_DO = "sign those accounts in again or mend them by hand, then delete the file"


def repairs_warning(store_file: Path, repairs: Repairs) -> str | None:
    """One line saying everything ``repairs`` did; None when there was nothing."""
    if not repairs:
        return None
    parts = [*map(_fell_back, repairs.fallbacks), *map(_was_set_aside, repairs.set_aside)]
    return f"{store_file} has invalid parts; the rest is in use: {'; '.join(parts)}"


def repairs_check(store: StoreBackend) -> VerifyCheck:
    """The ``verify`` check (blocking: reads the side files): ``warn`` while a setting
    falls back or a side file is there, else ``pass``."""
    try:
        fallbacks = store.repairs().fallbacks
    except StoreError:  # the document check reports why the store cannot be read
        fallbacks = ()
    parts = [
        *(f"{f.field} at its default ({f.reason})" for f in fallbacks),
        *map(_side_file_finding, store.set_aside_files()),
    ]
    if not parts:
        return VerifyCheck(name=CHECK_NAME, label=CHECK_LABEL, status="pass", detail=NOTHING)
    return VerifyCheck(name=CHECK_NAME, label=CHECK_LABEL, status="warn", detail="; ".join(parts))


def _fell_back(fallback: FieldFallback) -> str:
    return f"{fallback.field} fell back to its default ({fallback.reason})"


def _was_set_aside(account: SetAsideAccount) -> str:
    return f"{account.name} was set aside in {account.side_file} ({account.reason})"


def _side_file_finding(found: SideFile) -> str:
    if found.content is None:
        return f"{found.path} (accounts set aside; it cannot be read)"
    accounts = ", ".join(f"{a.name}: {a.reason}" for a in found.content.accounts)
    return f"set aside in {found.path} ({accounts}): {WHAT_TO_DO}"
