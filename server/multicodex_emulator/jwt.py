"""Minting and checking the emulator's JWTs (HS256 with a per-emulator secret).

Real tokens are RS256; clients never verify signatures, so only the claim layout matters
to them. The emulator verifies its own signature to tell its tokens from garbage.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

_HEADER = {"alg": "HS256", "typ": "JWT", "kid": "emulator"}


def encode(payload: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{_b64(_HEADER)}.{_b64(payload)}"
    signature = hmac.new(secret, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(signature)}"


def decode_verified(token: str, secret: bytes) -> dict[str, Any] | None:
    """The payload if `token` is a JWT this secret signed, else None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    signing_input = f"{parts[0]}.{parts[1]}".encode("ascii", errors="replace")
    expected = _b64url(hmac.new(secret, signing_input, hashlib.sha256).digest())
    if not hmac.compare_digest(expected, parts[2]):
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _b64(value: dict[str, Any]) -> str:
    return _b64url(json.dumps(value, separators=(",", ":")).encode("utf-8"))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
