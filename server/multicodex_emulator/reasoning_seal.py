"""Encrypted reasoning bound to the account that produced it.

The real backend encrypts a reasoning item's content so that only the same account can
replay it; another account's request carrying it is refused with
`invalid_encrypted_content` (openai/codex#8145). The emulator seals instead of
encrypting: `gAAAAA` + base64url(item id, nonce, HMAC over account id, item id and
nonce), so a replay verifies only for the account it was made for.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "gAAAAA"
_SEPARATOR = "."


class ReasoningSealer:
    """Makes and checks `encrypted_content` strings; one secret per emulator."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)

    def seal(self, account_id: str, item_id: str) -> str:
        nonce = secrets.token_hex(16)
        payload = _SEPARATOR.join((item_id, nonce, self._mac(account_id, item_id, nonce)))
        return PREFIX + base64.urlsafe_b64encode(payload.encode()).decode("ascii")

    def opens(self, account_id: str, content: str) -> bool:
        """Whether `content` was sealed by this emulator for `account_id`."""
        if not content.startswith(PREFIX):
            return False
        try:
            payload = base64.urlsafe_b64decode(content[len(PREFIX) :].encode("ascii"))
            item_id, nonce, mac = payload.decode().split(_SEPARATOR)
        except (ValueError, binascii.Error, UnicodeError):
            return False
        return hmac.compare_digest(mac, self._mac(account_id, item_id, nonce))

    def _mac(self, account_id: str, item_id: str, nonce: str) -> str:
        message = "\n".join((account_id, item_id, nonce)).encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()
