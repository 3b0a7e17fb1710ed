"""Tokens sealed with AES-256-GCM. The associated data binds each ciphertext to its account,
so a ciphertext copied onto another account's row does not open."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from multicodex.store.postgres.keys import Key, KeyRing

NONCE_BYTES = 12


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes
    """Nonce, then ciphertext and tag."""


class UnknownKey(Exception):
    """The ciphertext was made with a key that is not in the ring."""

    def __init__(self, key_id: str) -> None:
        super().__init__(f"key {key_id}")
        self.key_id = key_id


class Damaged(Exception):
    """The ciphertext does not open with the key whose id it carries."""


def seal(key: Key, plaintext: bytes, bound_to: str) -> Sealed:
    nonce = secrets.token_bytes(NONCE_BYTES)
    blob = nonce + AESGCM(key.secret).encrypt(nonce, plaintext, bound_to.encode())
    return Sealed(key.id, blob)


def unseal(ring: KeyRing, sealed: Sealed, bound_to: str) -> bytes:
    key = ring.find(sealed.key_id)
    if key is None:
        raise UnknownKey(sealed.key_id)
    nonce, body = sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:]
    try:
        return AESGCM(key.secret).decrypt(nonce, body, bound_to.encode())
    except InvalidTag:
        raise Damaged() from None
