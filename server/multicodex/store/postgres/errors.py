"""Why a store in PostgreSQL cannot be used. Each message is one line naming the database
(never its password) and what to do; none holds a token or a key."""

from __future__ import annotations

from pathlib import Path

from multicodex.store.errors import StoreError, StoreNewerVersionError, StoreUnreadableError


class StoreDatabaseUnavailable(StoreUnreadableError):
    """The database cannot be reached or refused the connection or a statement. Nothing was
    written; the next request tries again (the store recovers by itself)."""


class StoreUrlInvalid(StoreUnreadableError):
    """The store setting looks like a database URL but is not one PostgreSQL accepts."""


class StoreKeyError(StoreUnreadableError):
    """The encryption key of the tokens is missing, malformed, or not the one they were
    encrypted with. Nothing was read into memory or written."""


class StoreDatabaseNewer(StoreNewerVersionError):
    """The database's schema was written by a newer MultiCodex; it is left untouched."""

    def __init__(self, where: str, home: Path, found: int, supported: int) -> None:
        StoreError.__init__(
            self,
            f"the store database {where} has schema version {found}, newer than this "
            f"MultiCodex understands ({supported}). Upgrade MultiCodex; nothing was written.",
            home,
        )
        self.found = found
        self.supported = supported
