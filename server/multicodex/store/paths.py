"""Where the account store lives: an explicit directory, else MULTICODEX_HOME, else the
platform's user config directory."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

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
