"""Side files beside the store document that keep the account entries it could not use.

``accounts.json.set-aside-<UTC time>.json`` holds each entry verbatim with why it was set
aside. It is written (0600, atomically, durably) before any write of the document could
drop those entries, and only once for the same entries: a document read again and again
while it still holds them finds the side file already there. MultiCodex never deletes a
side file; the user does, once the accounts are signed in again or mended.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from multicodex.store.atomic import write_private
from multicodex.store.files import parse_json, read_regular
from multicodex.store.salvage import SetAsideAccount

ABOUT = (
    "Account entries MultiCodex could not use, exactly as they were in the store document. "
    "The other accounts went on working. Sign these accounts in again (or mend an entry "
    "and put it back in the document by hand), then delete this file."
)


class SetAsideEntry(BaseModel):
    index: int | None = Field(description="Its index in the document's accounts list.")
    name: str = Field(description="Its position and email, e.g. 'account #2 (b@x.com)'.")
    reason: str = Field(description="Why it could not be used.")
    entry: Any = Field(description="The entry, verbatim.")


class SetAsideFile(BaseModel):
    """The content of a side file."""

    about: str = ABOUT
    store_file: str
    set_aside_at: str
    accounts: list[SetAsideEntry]


@dataclass(frozen=True)
class SideFile:
    """A side file found beside the document; ``content`` None when it cannot be read."""

    path: Path
    content: SetAsideFile | None


def side_files(document: Path) -> list[SideFile]:
    """Every side file of ``document``, oldest first."""
    paths = sorted(document.parent.glob(f"{document.name}.set-aside-*.json"))
    return [SideFile(path, _read(path)) for path in paths]


def keep_aside(document: Path, accounts: Sequence[SetAsideAccount]) -> Path:
    """The side file holding exactly ``accounts``: one already there, else a new one.

    The caller holds the store lock, so no other process writes a side file meanwhile.
    """
    entries = [account.entry for account in accounts]
    for found in side_files(document):
        if found.content is not None and [a.entry for a in found.content.accounts] == entries:
            return found.path
    now = datetime.now(UTC)
    target = _free_name(document, now.strftime("%Y%m%dT%H%M%SZ"))
    content = SetAsideFile(
        store_file=str(document),
        set_aside_at=now.isoformat(timespec="seconds"),
        accounts=[_entry(account) for account in accounts],
    )
    payload = content.model_dump(mode="json")
    write_private(target, (json.dumps(payload, indent=2, ensure_ascii=False) + "\n").encode())
    return target


def _entry(account: SetAsideAccount) -> SetAsideEntry:
    return SetAsideEntry(
        index=account.index, name=account.name, reason=account.reason, entry=account.entry
    )


def _free_name(document: Path, stamp: str) -> Path:
    candidate = document.with_name(f"{document.name}.set-aside-{stamp}.json")
    suffix = 1
    while os.path.lexists(candidate):
        candidate = document.with_name(f"{document.name}.set-aside-{stamp}-{suffix}.json")
        suffix += 1
    return candidate


def _read(path: Path) -> SetAsideFile | None:
    try:
        data: Any = parse_json(read_regular(path))
        return SetAsideFile.model_validate(data)
    except (OSError, ValueError, ValidationError):
        return None
