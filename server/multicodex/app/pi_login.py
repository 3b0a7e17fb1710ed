"""pi's login, picked up again whenever it is new or has changed, as the original
pi-multicodex re-imported it every session.

Each start (a command, the server) looks at pi's ``auth.json``: the file is only parsed
when its identity (inode, size, modification time) differs from the one seen last, which
is remembered in a small file in the MultiCodex home. A changed file is imported as
``multicodex import pi`` would (linked): a new account is added, newer tokens are adopted,
and older ones never replace newer ones (the pool keeps the newer pair). An account the
user removed therefore stays removed until pi's login changes again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ValidationError

from multicodex.app.importing import import_file
from multicodex.auth.importers.pi import AUTH_FILE_NAME, pi_agent_dir
from multicodex.pool import Pool
from multicodex.protocol import ImportSourceResult
from multicodex.store.atomic import write_private
from multicodex.store.backend import StoreBackend
from multicodex.store.files import read_regular

log = logging.getLogger(__name__)

SEEN_NAME = "pi-login.seen.json"


class _Seen(BaseModel):
    """What pi's file looked like when it was last imported."""

    path: str
    inode: int
    size: int
    mtime_ns: int


def pi_auth_path(env: Mapping[str, str]) -> Path:
    """Where pi keeps its login on this machine (as `find_sources` says)."""
    user_home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    return pi_agent_dir(env, user_home) / AUTH_FILE_NAME


async def pick_up_pi_login(
    store: StoreBackend, pool: Pool, env: Mapping[str, str]
) -> ImportSourceResult | None:
    """Import pi's login when its file is new or changed since it was last seen; None
    when there was nothing to look at. Never creates the store's directory."""
    if not store.exists:
        return None
    path = pi_auth_path(env)
    current = await asyncio.to_thread(_identity, path)
    seen_file = store.home / SEEN_NAME
    if current is None or current == await asyncio.to_thread(_last_seen, seen_file):
        return None
    result = await import_file(pool, "pi", path)
    await asyncio.to_thread(_remember, seen_file, current)
    if result.error:
        log.info("pi's login was not picked up: %s", result.error)
    return result


def _identity(path: Path) -> _Seen | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return _Seen(path=str(path), inode=st.st_ino, size=st.st_size, mtime_ns=st.st_mtime_ns)


def _last_seen(seen_file: Path) -> _Seen | None:
    try:
        return _Seen.model_validate(json.loads(read_regular(seen_file)))
    except (OSError, ValueError, ValidationError):
        return None  # never seen, or unreadable: look at pi's file again


def _remember(seen_file: Path, seen: _Seen) -> None:
    try:
        write_private(seen_file, seen.model_dump_json().encode())
    except OSError as exc:
        log.info("could not remember pi's login as seen: %s", exc.strerror or exc)
