"""Advisory lock keys. PostgreSQL's advisory locks are one 64-bit namespace per database,
so MultiCodex's keys are derived from its own names (and a per-account key from the
account's identity) to stay clear of other applications' locks."""

from __future__ import annotations

import hashlib


def lock_key(name: str) -> int:
    """A signed 64-bit key for ``name``."""
    digest = hashlib.sha256(f"multicodex:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


STORE_LOCK = lock_key("store")
"""Held (transaction-scoped) by every write of the document: writers are serialised as
the file lock serialises them."""
MIGRATION_LOCK = lock_key("migration")


def account_lock(identity: str) -> int:
    """The key of one account's lock (its refresh owner), by identity key."""
    return lock_key(f"account:{identity}")
