"""How a ``multicodex serve`` child is started: the command after ``python`` and an
environment holding none of the real user's MultiCodex, Codex CLI or pi state."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SERVER_MODULE = ("-m", "multicodex.server")
"""What ``multicodex serve`` runs, without the CLI's argument parsing."""
SERVE = ("-m", "multicodex", "serve")
"""The command an editor runs (the benchmarks' default: its start-up cost counts)."""
CLI_SERVE = (*SERVE, "--stdio")
"""As VS Code's language client starts a stdio server."""

PASSED_THROUGH = ("PYTHONPATH", "VIRTUAL_ENV", "LANG", "LC_ALL")


def server_env(root: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment whose home directories are under ``root``; ``extra`` last."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(root / "user"),
        "CODEX_HOME": str(root / "user" / ".codex"),
        "PI_CODING_AGENT_DIR": str(root / "user" / ".pi" / "agent"),
    }
    env.update({name: os.environ[name] for name in PASSED_THROUGH if name in os.environ})
    env.update(extra or {})
    return env
