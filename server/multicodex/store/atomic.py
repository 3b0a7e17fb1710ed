"""Private files written so that a crash at any instant leaves the old or the new content.

Every write goes to a fresh temp file in the target's directory (mode 0600 from the moment
it exists), is flushed and fsynced, renamed over the target, and the directory is fsynced
so the rename itself survives a power cut. A writer killed half way leaves only a temp file
behind; `remove_stale_temps` clears those.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
import time
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
TEMP_SUFFIX = ".tmp"

_CREATE_FLAGS = (
    os.O_WRONLY
    | os.O_CREAT
    | os.O_EXCL
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_BINARY", 0)
)


def temp_prefix(target: Path) -> str:
    """Temp files of ``target`` are hidden siblings: ``.<name>.<random>.tmp``."""
    return f".{target.name}."


def write_private(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically and durably; the result is mode 0600."""
    fd, temp = _create_temp(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
        raise
    fsync_directory(target.parent)


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def remove_stale_temps(target: Path, *, older_than: float | None = None) -> int:
    """Delete temp files a killed writer of ``target`` left behind; returns how many.

    With ``older_than`` (seconds) only temps that old are removed: use it when no lock
    excludes a concurrent writer that might still be filling its temp file.
    """
    prefix = temp_prefix(target)
    removed = 0
    now = time.time()
    try:
        entries = list(os.scandir(target.parent))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(TEMP_SUFFIX)):
            continue
        try:
            if older_than is not None and now - entry.stat().st_mtime < older_than:
                continue
            os.unlink(entry.path)
            removed += 1
        except FileNotFoundError:
            continue
    return removed


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` (and parents) as 0700; tighten it if it is wider.

    The directory itself may be a symbolic link to a directory: the one it points to is
    the directory meant, and is the one tightened.
    """
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    tighten_mode(Path(os.path.realpath(directory)), PRIVATE_DIR_MODE)


def tighten_mode(path: Path, mode: int) -> bool:
    """Remove permission bits beyond ``mode``; returns True when something was changed.

    Only a regular file or a directory is changed, never through a symbolic link: a link
    at ``path`` may point to a file that is not MultiCodex's to change.
    """
    if os.name != "posix":
        return False
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        return False
    current = stat.S_IMODE(st.st_mode)
    if current & ~mode == 0:
        return False
    if not _chmod_entry(path, st, current & mode):
        return False
    log.warning(
        "%s was accessible to other users (mode %03o); changed it to %03o",
        path,
        current,
        current & mode,
    )
    return True


def _chmod_entry(path: Path, seen: os.stat_result, mode: int) -> bool:
    """chmod the very file ``seen`` by lstat: through a descriptor opened without
    following links, so a link put in its place meanwhile is not followed either."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return False  # gone, replaced, or unreadable to its owner: nothing safe to change
    try:
        if not os.path.samestat(os.fstat(fd), seen):
            return False
        os.fchmod(fd, mode)
        return True
    finally:
        os.close(fd)


def _create_temp(target: Path) -> tuple[int, Path]:
    for _ in range(16):
        temp = target.with_name(f"{temp_prefix(target)}{secrets.token_hex(8)}{TEMP_SUFFIX}")
        try:
            fd = os.open(temp, _CREATE_FLAGS, PRIVATE_FILE_MODE)
        except FileExistsError:
            continue
        if hasattr(os, "fchmod"):
            os.fchmod(fd, PRIVATE_FILE_MODE)  # the umask may have narrowed it differently
        return fd, temp
    raise FileExistsError(f"could not create a temp file beside {target}")
