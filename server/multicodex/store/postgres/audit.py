"""The audit: who spent which account. Every refresh, switch (active account change), pin,
login and removal saved in a database store is recorded in ``multicodex.audit`` with the
machine (its id and host name), the time (the database's clock), the account's identity key
(never a token) and the reason. The events are found by comparing the document before and
after a write, inside the writing transaction, so no write is recorded that did not happen
and none is missed whichever part of MultiCodex made it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Literal

import psycopg
from pydantic import BaseModel

from multicodex.model import StoredAccount
from multicodex.store.postgres.intents import Holder
from multicodex.store.schema import StoreDocument

AuditEvent = Literal["refresh", "switch", "pin", "login", "remove"]
NEAR_EXPIRY_SECONDS = 300.0
"""The refresh margin: an access token with less left than this is refreshed before use."""


class AuditEntry(BaseModel):
    """One recorded event (what `multicodex store audit` lists)."""

    at: datetime
    machine: str
    host: str
    event: AuditEvent
    account: str | None
    reason: str


class AuditListing(BaseModel):
    entries: list[AuditEntry]


def audit_table(entries: list[AuditEntry]) -> list[str]:
    """The entries as lines for people (UTC times)."""
    if not entries:
        return ["nothing recorded"]
    rows = [
        (
            entry.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"),
            entry.host,
            entry.machine[:8],
            entry.event,
            entry.account or "",
            entry.reason,
        )
        for entry in entries
    ]
    header = ("time (UTC)", "host", "machine", "event", "account", "reason")
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header) - 1)]
    return [
        "  ".join([*(cell.ljust(w) for cell, w in zip(row, widths, strict=False)), row[-1]])
        for row in (header, *rows)
    ]


class Change(BaseModel):
    event: AuditEvent
    account: str | None
    reason: str


def changes(before: StoreDocument, after: StoreDocument, now: float) -> list[Change]:
    """The events a write from ``before`` to ``after`` makes."""
    found = list(_account_changes(before, after, now))
    if before.active != after.active and after.active is not None:
        found.append(
            Change(
                event="switch",
                account=after.active,
                reason=f"active account changed (was {before.active or 'none'})",
            )
        )
    if before.pinned != after.pinned:
        found.append(
            Change(
                event="pin",
                account=after.pinned or before.pinned,
                reason="pinned on this machine" if after.pinned else "unpinned on this machine",
            )
        )
    return found


def record(conn: psycopg.Connection, holder: Holder, found: list[Change]) -> None:
    """Insert ``found`` inside the caller's transaction."""
    if not found:
        return
    with conn.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO multicodex.audit (machine_id, host, event, account, reason) "
            "VALUES (%s, %s, %s, %s, %s)",
            [(holder.machine, holder.host, c.event, c.account, c.reason) for c in found],
        )


def entries(
    conn: psycopg.Connection, since: float | None, account: str | None, limit: int = 10_000
) -> list[AuditEntry]:
    """Recorded events, oldest first: since ``since`` (a Unix time), of the accounts whose
    identity key starts with ``account`` (case-insensitive: an email is the key's start)."""
    rows = conn.execute(
        "SELECT at, machine_id, host, event, account, reason FROM ("
        "  SELECT * FROM multicodex.audit"
        "  WHERE (%(since)s::double precision IS NULL OR at >= to_timestamp(%(since)s))"
        "    AND (%(account)s::text IS NULL OR lower(account) LIKE lower(%(account)s) || '%%')"
        "  ORDER BY id DESC LIMIT %(limit)s"
        ") AS newest ORDER BY id",
        {"since": since, "account": account, "limit": limit},
    ).fetchall()
    return [
        AuditEntry(at=at, machine=machine, host=host, event=event, account=key, reason=reason)
        for at, machine, host, event, key, reason in rows
    ]


def _account_changes(before: StoreDocument, after: StoreDocument, now: float) -> Iterator[Change]:
    old = {account.key: account for account in before.accounts}
    new = {account.key: account for account in after.accounts}
    for key in new.keys() - old.keys():
        yield Change(event="login", account=key, reason="added to the pool (login or import)")
    for key in old.keys() - new.keys():
        yield Change(event="remove", account=key, reason="removed from the pool")
    for key in new.keys() & old.keys():
        was, now_account = old[key], new[key]
        if was.tokens.refresh_token != now_account.tokens.refresh_token:
            yield _new_tokens(was, now_account, now)


def _new_tokens(was: StoredAccount, account: StoredAccount, now: float) -> Change:
    if was.needs_reauth and not account.needs_reauth:
        return Change(event="login", account=account.key, reason="signed in again")
    left = was.tokens.expires_at - now
    if left <= 0:
        why = "the access token had expired"
    elif left <= NEAR_EXPIRY_SECONDS:
        why = f"the access token had {left:.0f} s left"
    else:
        why = f"the access token was refused or a refresh was asked for ({left / 60:.0f} min left)"
    return Change(event="refresh", account=account.key, reason=why)
