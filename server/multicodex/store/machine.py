"""This machine's id: generated once and kept in the MultiCodex home, it names what belongs
to the machine in a store shared by several (its pin)."""

from __future__ import annotations

import uuid
from pathlib import Path

from multicodex.store.atomic import ensure_private_dir, write_private
from multicodex.store.files import read_regular

MACHINE_ID_NAME = "machine-id"


def machine_id(home: Path, *, create: bool = True) -> str:
    """The id kept in ``home``; a new one is saved there the first time (not saved without
    ``create``: a command that only reads leaves the home as it is)."""
    path = home / MACHINE_ID_NAME
    try:
        found = read_regular(path).decode("ascii", "replace").strip()
    except OSError:
        found = ""
    if found:
        return found
    fresh = uuid.uuid4().hex
    if create:
        ensure_private_dir(home)
        write_private(path, f"{fresh}\n".encode())
    return fresh
