"""Reading files that may not be what they should: whatever sits at a path is checked
before a byte of it is read.

A named pipe would block a plain ``open`` for ever, a socket or a device is nobody's
credentials, and a symbolic link in MultiCodex's own directory could make it read (and then
chmod or replace) a file elsewhere. JSON nested deeper than the parser's recursion limit
raises `RecursionError`, which no ``except ValueError`` catches.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path
from typing import Any

_READ_FLAGS = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
SYMLINK = "a symbolic link"


class WrongFileType(OSError):
    """Something else than what belongs at ``path`` is there (a named pipe or a link where
    a file belongs, a file where a directory belongs); it was neither read nor changed.

    ``kind`` says what it is in words ("a named pipe (FIFO)", "a symbolic link", …);
    ``target`` is where a symbolic link points.
    """

    def __init__(self, path: Path, kind: str, target: str | None = None) -> None:
        pointing = f" (to {target})" if target is not None else ""
        super().__init__(f"{path} is {kind}{pointing}; it was left alone")
        self.path = path
        self.kind = kind
        self.target = target

    def __str__(self) -> str:
        return str(self.args[0])


class NestedTooDeeply(ValueError):
    """JSON nested deeper than the parser can follow."""

    reason = "nested too deeply"

    def __init__(self) -> None:
        super().__init__(self.reason)


def describe_mode(mode: int) -> str:
    """What a file of ``mode`` is, in words."""
    kinds = (
        (stat.S_ISLNK, SYMLINK),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a device"),
        (stat.S_ISBLK, "a device"),
    )
    return next((words for test, words in kinds if test(mode)), "not a regular file")


def open_regular(path: Path, *, follow_symlinks: bool = False) -> tuple[int, os.stat_result]:
    """A read-only descriptor of the regular file at ``path`` and its status.

    Never blocks (a FIFO is opened non-blocking, then refused) and, unless
    ``follow_symlinks``, never opens through a symbolic link. Raises `FileNotFoundError`,
    `WrongFileType`, or the `OSError` of the failed open; the caller closes the descriptor.
    """
    flags = _READ_FLAGS if follow_symlinks else _READ_FLAGS | _NO_FOLLOW
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError:
        refusal = refuse_non_regular(path, follow_symlinks=follow_symlinks)
        if refusal is not None:
            raise refusal from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise WrongFileType(path, describe_mode(st.st_mode))
    return fd, st


def read_regular(path: Path, *, follow_symlinks: bool = False) -> bytes:
    """The content of the regular file at ``path`` (see `open_regular`)."""
    fd, _st = open_regular(path, follow_symlinks=follow_symlinks)
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


def refuse_non_regular(path: Path, *, follow_symlinks: bool = False) -> WrongFileType | None:
    """Why the entry at ``path`` must not be used, if it exists and is not a regular file
    (a symbolic link counts as one only when ``follow_symlinks``)."""
    try:
        st = os.stat(path) if follow_symlinks else os.lstat(path)
    except OSError:
        return None
    if stat.S_ISREG(st.st_mode):
        return None
    target = None
    if stat.S_ISLNK(st.st_mode):
        with contextlib.suppress(OSError):
            target = os.readlink(path)
    return WrongFileType(path, describe_mode(st.st_mode), target)


def refuse_non_directory(path: Path) -> WrongFileType | None:
    """Why the entry at ``path`` is not a directory to use (a symbolic link to one is not),
    if it exists."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISDIR(st.st_mode):
        return None
    return refuse_non_regular(path) or WrongFileType(path, "a regular file")


def parse_json(raw: bytes | str) -> Any:
    """``json.loads`` that reports nesting too deep to parse as `NestedTooDeeply` (a
    `ValueError`, like every other reason the text is not usable JSON)."""
    try:
        return json.loads(raw)
    except RecursionError:
        raise NestedTooDeeply() from None
