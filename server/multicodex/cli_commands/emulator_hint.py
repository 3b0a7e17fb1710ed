"""What `multicodex demo` and `multicodex emulator` say when the emulator is not installed.

The emulator's dependencies come with the ``emulator`` extra. The one command that
installs them names this interpreter and the place MultiCodex was installed from (as pip
and uv record it, PEP 610), so it can be run as printed, from a checkout too.
"""

from __future__ import annotations

import importlib.metadata
import shlex
import sys
from dataclasses import dataclass
from urllib.parse import urlparse
from urllib.request import url2pathname

from pydantic import BaseModel, ValidationError

EXTRA = "emulator"
DISTRIBUTION = "multicodex"


@dataclass(frozen=True)
class InstallSource:
    installer: str
    """The tool that installed MultiCodex ("pip", "uv", ...)."""
    path: str | None
    """The local directory it was installed from; None when unknown (a wheel, a URL)."""
    editable: bool = False


class _DirInfo(BaseModel):
    editable: bool = False


class _DirectUrl(BaseModel):
    """``direct_url.json``: where an installer took a distribution from."""

    url: str
    dir_info: _DirInfo | None = None


def emulator_missing() -> str:
    """One line: the emulator is missing, and the command that installs it."""
    command = install_command(installed_from(), sys.executable)
    return f"the emulator is not installed; install it with: {command}"


def install_command(source: InstallSource | None, python: str) -> str:
    if source is not None and source.installer == "uv":
        pip = f"uv pip install --python {shlex.quote(python)}"
    else:
        pip = f"{shlex.quote(python)} -m pip install"
    if source is None or source.path is None:
        return f"{pip} {shlex.quote(f'{DISTRIBUTION}[{EXTRA}]')}"
    editable = "-e " if source.editable else ""
    return f"{pip} {editable}{shlex.quote(f'{source.path}[{EXTRA}]')}"


def installed_from() -> InstallSource | None:
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return None
    return source_from_metadata(
        distribution.read_text("INSTALLER"), distribution.read_text("direct_url.json")
    )


def source_from_metadata(installer: str | None, direct_url_json: str | None) -> InstallSource:
    """An installed distribution's ``INSTALLER`` and ``direct_url.json`` files, read."""
    tool = (installer or "pip").strip() or "pip"
    direct_url = _direct_url(direct_url_json)
    if direct_url is None or urlparse(direct_url.url).scheme != "file":
        return InstallSource(installer=tool, path=None)
    editable = direct_url.dir_info is not None and direct_url.dir_info.editable
    path = url2pathname(urlparse(direct_url.url).path)
    return InstallSource(installer=tool, path=path, editable=editable)


def _direct_url(recorded: str | None) -> _DirectUrl | None:
    if recorded is None:
        return None
    try:
        return _DirectUrl.model_validate_json(recorded)
    except ValidationError:
        return None
