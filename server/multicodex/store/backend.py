"""What the pool and the app need from a store, whatever keeps it: the file beside its lock
(`multicodex.store.document.Store`, the default) or a PostgreSQL database
(`multicodex.store.postgres.PostgresStore`).

Both give the same document (`StoreDocument`) and the same promises: `peek` is shared and
never changed by its reader, `transaction` is an exclusive read-modify-write of a fresh
document that is saved only when the block exits normally. Both keep a directory on this
machine (`home`) for what belongs to the machine: the account locks, the refresh journal,
the machine's id and, for a database, its key file.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager, AbstractContextManager
from pathlib import Path
from typing import Protocol, runtime_checkable

from multicodex.store.errors import StoreCorruptError
from multicodex.store.salvage import Repairs
from multicodex.store.schema import StoreDocument
from multicodex.store.set_aside import SideFile


@runtime_checkable
class StoreBackend(Protocol):
    home: Path
    """This machine's MultiCodex directory (account locks, refresh journal, machine id)."""
    path: Path
    """The document's file; for a database, a file of ``home`` that is never written."""
    lock_path: Path
    schema_path: Path
    quarantine_path: Path

    @property
    def location(self) -> str:
        """Where the accounts are, for people: a path, or a URL without its password."""
        ...

    @property
    def exists(self) -> bool:
        """Something was ever saved there (a command that only reads creates nothing)."""
        ...

    def read(self) -> StoreDocument: ...

    def peek(self) -> StoreDocument: ...

    def repairs(self) -> Repairs: ...

    def repairs_found(self) -> Repairs: ...

    def set_aside_files(self) -> list[SideFile]: ...

    def quarantined(self) -> StoreCorruptError | None: ...

    def acknowledge_corruption(self) -> StoreCorruptError | None: ...

    def transaction(self) -> AbstractContextManager[StoreDocument]: ...

    def atransaction(self) -> AbstractAsyncContextManager[StoreDocument]: ...
