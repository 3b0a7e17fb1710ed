"""Where the account store lives: an explicit directory, else MULTICODEX_HOME, else the
platform's user config directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from multicodex.store.errors import StoreHomeUnusable

HOME_ENV = "MULTICODEX_HOME"
APP_NAME = "multicodex"

DOCUMENT_NAME = "accounts.json"
LOCK_NAME = "accounts.json.lock"
SCHEMA_NAME = "accounts.schema.json"
QUARANTINE_NAME = "accounts.json.quarantine"
"""Left behind when a corrupt document was moved aside, until someone acknowledges it."""


def resolve_home(explicit: Path | str | None = None, env: Mapping[str, str] | None = None) -> Path:
    """The store directory: the argument wins over MULTICODEX_HOME, which wins over the default.

    The result is absolute (``~`` expanded) but not created.
    """
    environ = os.environ if env is None else env
    if explicit is not None and str(explicit):
        chosen = Path(explicit)
    elif environ.get(HOME_ENV):
        chosen = Path(environ[HOME_ENV])
    else:
        chosen = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False, roaming=True))
    return chosen.expanduser().absolute()


def check_home(home: Path) -> None:
    """Raise `StoreHomeUnusable` when ``home`` or one of its parents is something other
    than a directory, so it could never hold the store."""
    for path in (home, *home.parents):
        if path.is_dir():
            return
        if os.path.lexists(path):
            where = "" if path == home else f"is inside {path}, which "
            raise StoreHomeUnusable(home, f"{where}is not a directory")
