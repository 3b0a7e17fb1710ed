"""Request headers for the Codex backend, shaped like the Codex CLI's own."""

from __future__ import annotations

import platform
from collections.abc import Mapping

from multicodex import __version__
from multicodex.config import client_version


def default_user_agent(originator: str) -> str:
    """``<originator>/<version> (<os> <release>; <arch>) multicodex/<version>``."""
    system = f"{platform.system()} {platform.release()}".strip()
    client = f"multicodex/{__version__}"
    return f"{originator}/{client_version()} ({system}; {platform.machine()}) {client}"


ACCEPT_ENCODING = "zstd,gzip"
"""What the Codex CLI (0.171) accepts on every request; httpx2 decodes both."""


def auth_headers(access_token: str, account_id: str | None, user_agent: str) -> dict[str, str]:
    headers = {
        "Authorization": f"Bearer {access_token}",
        "User-Agent": user_agent,
        "Accept-Encoding": ACCEPT_ENCODING,
    }
    if account_id:
        headers["chatgpt-account-id"] = account_id
    return headers


def stream_headers(
    *,
    access_token: str,
    account_id: str | None,
    originator: str,
    user_agent: str,
    session_id: str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Headers for ``POST /codex/responses``.

    The session id goes out under both spellings: older clients send ``session_id``,
    newer ones ``session-id``; the backend's prompt cache keys on it.
    """
    headers = auth_headers(access_token, account_id, user_agent)
    headers["Content-Type"] = "application/json"
    headers["Accept"] = "text/event-stream"
    headers["originator"] = originator
    # The backend refuses a model whose minimal_client_version is newer than this.
    headers["version"] = client_version()
    if session_id:
        headers["session_id"] = session_id
        headers["session-id"] = session_id
    if extra:
        _override(headers, extra)
    return headers


def _override(headers: dict[str, str], extra: Mapping[str, str]) -> None:
    """Header names are case-insensitive: an extra header replaces ours, never duplicates it."""
    replaced = {name.lower() for name in extra}
    for name in [n for n in headers if n.lower() in replaced]:
        del headers[name]
    headers.update(extra)
