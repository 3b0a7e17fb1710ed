"""Only the user gets in: a secret of the store's owner as the bearer, loopback peers, and
a ``Host`` naming this proxy (a page that rebinds its own name to 127.0.0.1 is refused)."""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from dataclasses import dataclass
from pathlib import Path

from multicodex.store.atomic import write_private

SECRET_FILE = "proxy-secret"  # noqa: S105 (a file name)
SECRET_BYTES = 32
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost"})


class NotLoopback(ValueError):
    """The proxy binds 127.0.0.1 only."""


def require_loopback(host: str) -> None:
    if host not in LOOPBACK_NAMES:
        raise NotLoopback(
            f"the proxy listens on 127.0.0.1 only (it holds the pool's credentials); "
            f"{host!r} is not allowed"
        )


def load_or_create_secret(home: Path) -> str:
    """The proxy's secret beside the store: made once (0600, written atomically), then
    reused, so a client's configuration keeps working across restarts."""
    path = home / SECRET_FILE
    try:
        existing = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        existing = ""
    if existing:
        return existing
    home.mkdir(parents=True, exist_ok=True, mode=0o700)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    write_private(path, secret.encode("ascii") + b"\n")
    return secret


@dataclass(frozen=True)
class Refusal:
    status: int
    message: str


class Guard:
    """Decides whether a request may use the proxy, before anything else is read."""

    def __init__(self, secret: str, port: int) -> None:
        self._expected = f"Bearer {secret}".encode()
        self._hosts = frozenset({f"127.0.0.1:{port}", f"localhost:{port}"})

    def refusal(
        self, client_host: str | None, headers: dict[str, str], *, needs_bearer: bool = True
    ) -> Refusal | None:
        if not _is_loopback(client_host):
            return Refusal(403, "the MultiCodex proxy serves this machine only")
        if headers.get("host", "").lower() not in self._hosts:
            return Refusal(403, "the MultiCodex proxy answers only to 127.0.0.1 or localhost")
        if needs_bearer and not self._bearer_ok(headers.get("authorization", "")):
            return Refusal(
                401, "the MultiCodex proxy needs its secret as the bearer (multicodex proxy)"
            )
        return None

    def _bearer_ok(self, authorization: str) -> bool:
        return hmac.compare_digest(authorization.encode("latin-1", "replace"), self._expected)


def _is_loopback(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
