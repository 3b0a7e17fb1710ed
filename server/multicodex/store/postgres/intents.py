"""Refresh intents: a refresh begun whose answer may not be in the database yet.

The refresh lock is a session-scoped advisory lock; a connection that breaks (the database
restarts, the network drops it) lets the lock go while its holder may already hold a
rotated pair in its local journal, waiting for the database to merge it. The old refresh
token is spent then, and a second machine taking the lock would spend it again. So before
a refresh token is sent, its holder writes an intent (committed at once): the account, a
hash of the token about to be spent (never the token), the machine and process, and how
long the answer may take to land. It deletes the intent once the outcome is settled (in
the database, or nothing was rotated); an intent left behind means the answer may be on
its way, and the same token is not spent again until the intent expires or the tokens
change.

A process of the same machine whose intent is left behind by a process that is gone
needs no wait: the journal they share was merged before the decision.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass

import psycopg

INTENT_SECONDS = 30.0
"""How long a left intent holds its token back: the token request's own timeout (15 s),
the save after it, and a database restart."""


@dataclass(frozen=True)
class Holder:
    """Who writes intents: this machine (its id and host name) and process."""

    machine: str
    host: str
    pid: int

    @classmethod
    def this_process(cls, machine: str) -> Holder:
        return cls(machine, socket.gethostname(), os.getpid())


def token_hash(refresh_token: str) -> str:
    return hashlib.sha256(f"multicodex-intent:{refresh_token}".encode()).hexdigest()


async def blocking(
    conn: psycopg.AsyncConnection, account: str, refresh_token: str, me: Holder
) -> str | None:
    """Why ``refresh_token`` must not be spent now, or None to go ahead."""
    cursor = await conn.execute(
        "SELECT machine_id, host, pid, until > now() FROM multicodex.refresh_intents "
        "WHERE account = %s AND token_hash = %s",
        (account, token_hash(refresh_token)),
    )
    row = await cursor.fetchone()
    if row is None:
        return None
    machine, host, pid, pending = str(row[0]), str(row[1]), int(row[2]), bool(row[3])
    if not pending or (machine == me.machine and not _other_live_process(pid)):
        return None
    return (
        f"a refresh begun on {host} lost its database connection before its answer "
        f"was saved; waiting up to {INTENT_SECONDS:.0f} s for that machine to save it"
    )


async def write(
    conn: psycopg.AsyncConnection, account: str, refresh_token: str, me: Holder
) -> None:
    await conn.execute(
        "INSERT INTO multicodex.refresh_intents "
        "(account, token_hash, machine_id, host, pid, until) "
        "VALUES (%s, %s, %s, %s, %s, now() + make_interval(secs => %s)) "
        "ON CONFLICT (account) DO UPDATE SET token_hash = EXCLUDED.token_hash, "
        "machine_id = EXCLUDED.machine_id, host = EXCLUDED.host, pid = EXCLUDED.pid, "
        "until = EXCLUDED.until",
        (account, token_hash(refresh_token), me.machine, me.host, me.pid, INTENT_SECONDS),
    )


async def clear(conn: psycopg.AsyncConnection, account: str, me: Holder) -> None:
    await conn.execute(
        "DELETE FROM multicodex.refresh_intents "
        "WHERE account = %s AND machine_id = %s AND pid = %s",
        (account, me.machine, me.pid),
    )


def _other_live_process(pid: int) -> bool:
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
