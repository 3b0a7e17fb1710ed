"""Why the store cannot be read or written. Messages name files, never their contents."""

from __future__ import annotations

from pathlib import Path


class StoreError(Exception):
    """Base of every store failure; ``path`` is the document concerned."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


class StoreCorruptError(StoreError):
    """The document could not be used and was moved aside (never overwritten).

    Until someone calls `Store.acknowledge_corruption()` every read and transaction, in
    every process, raises this again so each client can tell its user.
    """

    def __init__(
        self, path: Path, moved_to: Path, reason: str, foreign_format: str | None = None
    ) -> None:
        if foreign_format is not None:
            message = (
                f"{path} held accounts in the {foreign_format} format; it was moved to "
                f"{moved_to} so nothing is lost. Start with an empty store, then import its "
                "accounts from there."
            )
        else:
            message = (
                f"{path} could not be used ({reason}); it was moved to {moved_to} so nothing "
                "is lost. Restore it by hand, or start with an empty store."
            )
        super().__init__(message, path)
        self.moved_to = moved_to
        self.reason = reason
        self.foreign_format = foreign_format


class StoreNewerVersionError(StoreError):
    """The document was written by a newer MultiCodex; it is neither read nor written."""

    def __init__(self, path: Path, found: int, supported: int) -> None:
        super().__init__(
            f"{path} was written by a newer MultiCodex (store version {found}; this one "
            f"understands {supported}). Upgrade MultiCodex; the file was left untouched.",
            path,
        )
        self.found = found
        self.supported = supported


class StoreUnreadableError(StoreError):
    """The document exists but the operating system refused to read it."""


class StoreHomeUnusable(StoreUnreadableError):
    """The store's directory is not one and cannot become one: a file is at its path, or
    the operating system refused to create it."""

    def __init__(self, home: Path, problem: str) -> None:
        super().__init__(
            f"the MultiCodex home {home} {problem}; give a directory with --home or "
            "MULTICODEX_HOME",
            home,
        )
        self.home = home


class StoreLockTimeout(StoreError):
    """Another thread or process held the store lock for too long."""


class StoreInvalidDocument(StoreError):
    """A transaction produced a document that does not validate; nothing was written."""


class StoreFileRefused(StoreUnreadableError):
    """Something other than a regular file is at one of the store's paths (a named pipe, a
    socket, a directory, a symbolic link), or other than a directory where one belongs: it
    is refused at once and left as it is, since it is not what MultiCodex wrote there."""

    def __init__(self, path: Path, kind: str, target: str | None = None) -> None:
        if target is not None:
            message = (
                f"{path} is a symbolic link (to {target}); MultiCodex follows no links in its "
                "directory and left it as it is. Put the file itself there instead of the "
                "link, or set MULTICODEX_HOME (--home) to the directory that holds it."
            )
        else:
            message = (
                f"{path} is {kind}, which MultiCodex cannot use; it was left as it is. "
                "Remove or rename it, then try again."
            )
        super().__init__(message, path)
        self.kind = kind
        self.target = target
