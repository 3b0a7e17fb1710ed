"""The document as rows: one row per account (public fields as JSON, tokens sealed), the
shared settings and active account, and each machine's pin. Loading builds a
`StoreDocument`; saving writes back only what differs from the document loaded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from pydantic import ValidationError

from multicodex.model import Settings, StoredAccount, TokenSet
from multicodex.store.postgres.keys import KeyRing
from multicodex.store.postgres.listen import CHANNEL
from multicodex.store.postgres.sealing import Sealed, seal, unseal
from multicodex.store.schema import StoreDocument

TOKENS_FIELD = "tokens"


class RowUnusable(Exception):
    """An account row cannot be read: its tokens do not open, or its fields do not fit."""

    def __init__(self, key: str, reason: str) -> None:
        super().__init__(f"account {key}: {reason}")
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class Loaded:
    document: StoreDocument
    revision: int


class TokenOpener:
    """Unseals tokens, remembering each ciphertext it opened (they change only on a
    refresh, and a peek reloads every row)."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self._opened: dict[tuple[str, bytes], TokenSet] = {}

    def open(self, key: str, sealed: Sealed) -> TokenSet:
        remembered = self._opened.get((key, sealed.blob))
        if remembered is not None:
            return remembered
        tokens = TokenSet.model_validate_json(unseal(self.ring, sealed, key))
        if len(self._opened) > 4096:
            self._opened.clear()
        self._opened[(key, sealed.blob)] = tokens
        return tokens


def load(conn: psycopg.Connection, opener: TokenOpener, machine: str) -> Loaded:
    settings, active, revision = _shared(conn)
    pinned_row = conn.execute(
        "SELECT pinned FROM multicodex.machines WHERE machine_id = %s", (machine,)
    ).fetchone()
    rows = conn.execute(
        "SELECT key, public, tokens, tokens_key_id FROM multicodex.accounts ORDER BY position, key"
    ).fetchall()
    accounts = [
        _account(key, public, opener, Sealed(kid, bytes(blob))) for key, public, blob, kid in rows
    ]
    document = StoreDocument(
        accounts=accounts,
        pinned=pinned_row[0] if pinned_row is not None else None,
        active=active,
        settings=Settings.model_validate(settings),
    )
    return Loaded(document, revision)


def revision(conn: psycopg.Connection) -> int:
    return _shared(conn)[2]


def key_ids(conn: psycopg.Connection) -> set[str]:
    """The ids of the keys the stored tokens are sealed with."""
    rows = conn.execute("SELECT DISTINCT tokens_key_id FROM multicodex.accounts").fetchall()
    return {str(row[0]) for row in rows}


def save(
    conn: psycopg.Connection,
    ring: KeyRing,
    machine: str,
    before: StoreDocument,
    after: StoreDocument,
) -> int | None:
    """Write what changed from ``before`` to ``after``; the new revision, None when nothing
    changed. Runs inside the caller's transaction."""
    changed = _save_accounts(conn, ring, before, after)
    if (before.settings, before.active) != (after.settings, after.active):
        conn.execute(
            "UPDATE multicodex.shared_state SET settings = %s, active = %s",
            (Jsonb(after.settings.model_dump(mode="json")), after.active),
        )
        changed = True
    if before.pinned != after.pinned:
        conn.execute(
            "INSERT INTO multicodex.machines (machine_id, pinned) VALUES (%s, %s) "
            "ON CONFLICT (machine_id) DO UPDATE SET pinned = EXCLUDED.pinned, updated_at = now()",
            (machine, after.pinned),
        )
        changed = True
    if not changed:
        return None
    return _next_revision(conn)


def reseal_all(conn: psycopg.Connection, opener: TokenOpener, ring: KeyRing) -> int:
    """Seal every account's tokens again with the ring's current key; how many were."""
    rows = conn.execute(
        "SELECT key, tokens, tokens_key_id FROM multicodex.accounts WHERE tokens_key_id <> %s",
        (ring.current.id,),
    ).fetchall()
    for key, blob, kid in rows:
        tokens = opener.open(key, Sealed(kid, bytes(blob)))
        _write_tokens(conn, ring, key, tokens)
    if rows:
        _next_revision(conn)
    return len(rows)


def _next_revision(conn: psycopg.Connection) -> int | None:
    """Bump the revision and tell every listening server (delivered on commit)."""
    row = conn.execute(
        "UPDATE multicodex.shared_state SET revision = revision + 1 RETURNING revision"
    ).fetchone()
    if row is None:
        return None
    conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(row[0])))
    return int(row[0])


def _save_accounts(
    conn: psycopg.Connection, ring: KeyRing, before: StoreDocument, after: StoreDocument
) -> bool:
    old = {account.key: (position, account) for position, account in enumerate(before.accounts)}
    changed = False
    for position, account in enumerate(after.accounts):
        previous = old.pop(account.key, None)
        if previous == (position, account):
            continue
        if previous is None:
            _insert(conn, ring, position, account)
        else:
            _update(
                conn, ring, position, account, tokens_changed=previous[1].tokens != account.tokens
            )
        changed = True
    if old:
        conn.execute("DELETE FROM multicodex.accounts WHERE key = ANY(%s)", (list(old),))
        changed = True
    return changed


def _insert(conn: psycopg.Connection, ring: KeyRing, position: int, account: StoredAccount) -> None:
    sealed = _seal_tokens(ring, account.key, account.tokens)
    conn.execute(
        "INSERT INTO multicodex.accounts "
        "(key, position, public, tokens, tokens_key_id, expires_at) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (
            account.key,
            position,
            Jsonb(_public(account)),
            sealed.blob,
            sealed.key_id,
            account.tokens.expires_at,
        ),
    )


def _update(
    conn: psycopg.Connection,
    ring: KeyRing,
    position: int,
    account: StoredAccount,
    *,
    tokens_changed: bool,
) -> None:
    conn.execute(
        "UPDATE multicodex.accounts SET position = %s, public = %s, updated_at = now() "
        "WHERE key = %s",
        (position, Jsonb(_public(account)), account.key),
    )
    if tokens_changed:
        _write_tokens(conn, ring, account.key, account.tokens)


def _write_tokens(conn: psycopg.Connection, ring: KeyRing, key: str, tokens: TokenSet) -> None:
    sealed = _seal_tokens(ring, key, tokens)
    conn.execute(
        "UPDATE multicodex.accounts SET tokens = %s, tokens_key_id = %s, expires_at = %s, "
        "updated_at = now() WHERE key = %s",
        (sealed.blob, sealed.key_id, tokens.expires_at, key),
    )


def _seal_tokens(ring: KeyRing, key: str, tokens: TokenSet) -> Sealed:
    return seal(ring.current, tokens.model_dump_json().encode(), key)


def _public(account: StoredAccount) -> dict[str, Any]:
    return account.model_dump(mode="json", exclude={TOKENS_FIELD})


def _account(key: str, public: Any, opener: TokenOpener, sealed: Sealed) -> StoredAccount:
    tokens = opener.open(key, sealed)
    try:
        return StoredAccount.model_validate({**dict(public), "key": key, TOKENS_FIELD: tokens})
    except (ValidationError, TypeError, ValueError) as exc:
        raise RowUnusable(key, f"its fields do not match ({type(exc).__name__})") from None


def _shared(conn: psycopg.Connection) -> tuple[Any, str | None, int]:
    row = conn.execute("SELECT settings, active, revision FROM multicodex.shared_state").fetchone()
    if row is None:
        return {}, None, 0
    return row[0], row[1], int(row[2])
