"""The key that encrypts tokens in the database, which the database never holds.

A key is 32 random bytes written as URL-safe base64. Several may be given, the first being
the one new ciphertexts use and the others only read (a rotation in progress). They come,
first found wins, from:

1. ``MULTICODEX_STORE_KEY`` (keys separated by commas),
2. the key file (``MULTICODEX_STORE_KEY_FILE``, else ``store-key`` in the MultiCodex
   home), one key a line, which must be private to its owner (mode 0600),
3. the OS keyring (service ``multicodex``, entry ``store-key``), when the ``keyring``
   package is installed.

Each ciphertext carries the id of its key (a hash of it, which reveals nothing of it), so
a wrong key is told apart from damaged data, and a rotation knows what to re-encrypt.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import importlib
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from multicodex.store.atomic import PRIVATE_FILE_MODE, ensure_private_dir, write_private
from multicodex.store.postgres.errors import StoreKeyError

log = logging.getLogger(__name__)

KEY_ENV = "MULTICODEX_STORE_KEY"
KEY_FILE_ENV = "MULTICODEX_STORE_KEY_FILE"
KEY_FILE_NAME = "store-key"
KEYRING_SERVICE = "multicodex"
KEYRING_ENTRY = "store-key"
KEY_BYTES = 32


@dataclass(frozen=True)
class Key:
    id: str
    secret: bytes

    @classmethod
    def of(cls, secret: bytes) -> Key:
        digest = hashlib.sha256(b"multicodex store key id\0" + secret).hexdigest()
        return cls(digest[:16], secret)

    @classmethod
    def generate(cls) -> Key:
        return cls.of(secrets.token_bytes(KEY_BYTES))

    def encoded(self) -> str:
        return base64.urlsafe_b64encode(self.secret).decode().rstrip("=")

    def __repr__(self) -> str:  # the secret never reaches a log or a traceback
        return f"Key(id={self.id})"

    __str__ = __repr__


@dataclass(frozen=True)
class KeyRing:
    """The keys in force: ``current`` encrypts, every one decrypts."""

    current: Key
    retired: tuple[Key, ...] = ()
    source: str = ""
    """Where the keys came from, in words (for messages)."""

    def find(self, key_id: str) -> Key | None:
        return next((k for k in (self.current, *self.retired) if k.id == key_id), None)

    def text(self) -> str:
        return "".join(f"{k.encoded()}\n" for k in (self.current, *self.retired))


def key_file_path(home: Path, env: Mapping[str, str]) -> Path:
    configured = env.get(KEY_FILE_ENV)
    return Path(configured).expanduser() if configured else home / KEY_FILE_NAME


def load_keyring(home: Path, env: Mapping[str, str]) -> KeyRing | None:
    """The keys from the first source that has any; None when none has. Raises
    `StoreKeyError` for a source that holds something other than keys, or a key file other
    users could read."""
    if env.get(KEY_ENV, "").strip():
        return _parse(env[KEY_ENV], f"${KEY_ENV}", home)
    path = key_file_path(home, env)
    text = _read_key_file(path, home)
    if text is not None:
        return _parse(text, str(path), home)
    stored = _from_os_keyring()
    if stored:
        return _parse(stored, "the OS keyring", home)
    return None


def write_key_file(path: Path, ring: KeyRing) -> None:
    """Save ``ring`` to ``path`` (0600, atomically, durably)."""
    ensure_private_dir(path.parent)
    write_private(path, ring.text().encode())


def missing_key_message(where: str, home: Path, env: Mapping[str, str]) -> str:
    return (
        f"no encryption key for the store database {where}: set {KEY_ENV}, or put the key "
        f"in {key_file_path(home, env)} (mode 0600); `multicodex store rotate-key` creates "
        "one for a database that holds no tokens yet"
    )


def _parse(text: str, source: str, home: Path) -> KeyRing:
    keys = [_decode(part.strip(), source, home) for part in _split(text)]
    if not keys:
        raise StoreKeyError(f"{source} holds no encryption key", home)
    return KeyRing(keys[0], tuple(keys[1:]), source)


def _split(text: str) -> list[str]:
    return [part for line in text.splitlines() for part in line.split(",") if part.strip()]


def _decode(encoded: str, source: str, home: Path) -> Key:
    try:
        secret = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        secret = b""
    if len(secret) != KEY_BYTES:
        raise StoreKeyError(
            f"{source} does not hold a MultiCodex store key ({KEY_BYTES} bytes in URL-safe "
            "base64, as `multicodex store rotate-key` writes)",
            home,
        )
    return Key.of(secret)


def _read_key_file(path: Path, home: Path) -> str | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StoreKeyError(f"cannot read the key file {path}: {exc.strerror}", home) from None
    if not stat.S_ISREG(st.st_mode):
        raise StoreKeyError(f"the key file {path} is not a regular file", home)
    if os.name == "posix" and stat.S_IMODE(st.st_mode) & ~PRIVATE_FILE_MODE:
        raise StoreKeyError(
            f"the key file {path} can be read by other users (mode "
            f"{stat.S_IMODE(st.st_mode):03o}); run `chmod 600 {path}`",
            home,
        )
    try:
        return path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreKeyError(f"cannot read the key file {path}: {exc}", home) from None


def _from_os_keyring() -> str | None:
    try:
        keyring: Any = importlib.import_module("keyring")
    except ImportError:
        return None
    try:
        value = keyring.get_password(KEYRING_SERVICE, KEYRING_ENTRY)
    except Exception as exc:  # no backend on this machine: the keyring is just not a source
        log.debug("the OS keyring could not be read: %s", type(exc).__name__)
        return None
    return value if isinstance(value, str) else None


def create_key_file_if_missing(home: Path, env: Mapping[str, str]) -> Path | None:
    """A new key in the key file when no source holds one; the file's path, None when a
    key was already there."""
    if load_keyring(home, env) is not None:
        return None
    path = key_file_path(home, env)
    write_key_file(path, KeyRing(Key.generate(), source=str(path)))
    return path


@dataclass(frozen=True)
class Rotation:
    """The keys to seal with while rotating, and what to do once every token is sealed."""

    ring: KeyRing
    where: str
    final_file: tuple[Path, KeyRing] | None = None

    def finish(self) -> None:
        """Drop the old keys from the key file (every token now opens without them)."""
        if self.final_file is not None:
            write_key_file(*self.final_file)


def rotated_keys(
    ring: KeyRing | None, sealed_with: set[str], home: Path, env: Mapping[str, str]
) -> Rotation:
    """The keys a rotation uses. The key file gets a new key first (the old one kept after
    it until `Rotation.finish`); a key from the environment or the keyring is used as it
    is, its first key being the new one. Raises `StoreKeyError` when no key can open the
    tokens already stored."""
    path = key_file_path(home, env)
    if ring is None:
        if sealed_with:
            raise StoreKeyError(
                "the database holds sealed tokens but no key was found to open them: set "
                f"{KEY_ENV} or the key file {path} to the key they were sealed with",
                home,
            )
        fresh = KeyRing(Key.generate(), source=str(path))
        write_key_file(path, fresh)
        return Rotation(fresh, f"new key file {path}")
    if ring.source != str(path):
        return Rotation(ring, f"the key from {ring.source}; remove the old keys listed after it")
    rotated = KeyRing(Key.generate(), (ring.current, *ring.retired), ring.source)
    write_key_file(path, rotated)
    return Rotation(rotated, f"key file {path}", (path, KeyRing(rotated.current, (), ring.source)))
