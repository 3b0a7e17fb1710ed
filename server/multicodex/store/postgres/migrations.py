"""The database schema, created and moved forward by MultiCodex itself.

Each migration is applied once, in order, inside one transaction that holds a migration
lock (so two processes starting together do not both apply it), and recorded in
``schema_version``. A database whose recorded version is newer than `SCHEMA_VERSION` is
refused before anything is written. Everything lives in the schema ``multicodex``, created
by the connecting user: no superuser rights are needed, only CREATE on the database (or a
``multicodex`` schema the user owns).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from multicodex.store.postgres.locks import MIGRATION_LOCK

SCHEMA = "multicodex"


@dataclass(frozen=True)
class Migration:
    version: int
    why: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "accounts with sealed tokens, the shared settings, each machine's own choices",
        """
        CREATE SCHEMA IF NOT EXISTS multicodex;
        CREATE TABLE multicodex.schema_version (
            version integer PRIMARY KEY,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE multicodex.accounts (
            key text PRIMARY KEY,
            position integer NOT NULL,
            public jsonb NOT NULL,
            tokens bytea NOT NULL,
            tokens_key_id text NOT NULL,
            expires_at double precision NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE multicodex.shared_state (
            id boolean PRIMARY KEY DEFAULT true CHECK (id),
            settings jsonb NOT NULL DEFAULT '{}'::jsonb,
            active text,
            revision bigint NOT NULL DEFAULT 0
        );
        INSERT INTO multicodex.shared_state DEFAULT VALUES;
        CREATE TABLE multicodex.machines (
            machine_id text PRIMARY KEY,
            pinned text,
            updated_at timestamptz NOT NULL DEFAULT now()
        );
        """,
    ),
    Migration(
        2,
        "refresh intents (a refresh begun whose answer may not be in the database yet) and "
        "the audit of refreshes, switches and logins",
        """
        CREATE TABLE multicodex.refresh_intents (
            account text PRIMARY KEY,
            token_hash text NOT NULL,
            machine_id text NOT NULL,
            host text NOT NULL,
            pid integer NOT NULL,
            until timestamptz NOT NULL
        );
        CREATE TABLE multicodex.audit (
            id bigserial PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT clock_timestamp(),
            machine_id text NOT NULL,
            host text NOT NULL,
            event text NOT NULL,
            account text,
            reason text NOT NULL
        );
        CREATE INDEX audit_at ON multicodex.audit (at);
        CREATE INDEX audit_account_at ON multicodex.audit (account, at);
        """,
    ),
    Migration(
        3,
        "the usage history every machine records and reads, and the usage thresholds "
        "already announced",
        """
        CREATE TABLE multicodex.usage_observations (
            id bigserial PRIMARY KEY,
            at double precision NOT NULL,
            account text NOT NULL,
            bucket text NOT NULL,
            window_name text NOT NULL,
            window_seconds integer NOT NULL,
            used_percent double precision NOT NULL,
            resets_at double precision,
            source text NOT NULL
        );
        CREATE INDEX usage_observations_at ON multicodex.usage_observations (at);
        CREATE INDEX usage_observations_account_at
            ON multicodex.usage_observations (account, at);
        CREATE TABLE multicodex.usage_notified (
            scope text NOT NULL,
            window_name text NOT NULL,
            threshold integer NOT NULL,
            resets_at double precision,
            PRIMARY KEY (scope, window_name, threshold)
        );
        """,
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def current_version(conn: psycopg.Connection) -> int:
    """The schema version the database holds; 0 when MultiCodex never created it."""
    row = conn.execute("SELECT to_regclass('multicodex.schema_version')").fetchone()
    if row is None or row[0] is None:
        return 0
    found = conn.execute("SELECT max(version) FROM multicodex.schema_version").fetchone()
    return int(found[0]) if found is not None and found[0] is not None else 0


def pending(found: int) -> tuple[Migration, ...]:
    return tuple(m for m in MIGRATIONS if m.version > found)


def migrate(conn: psycopg.Connection) -> int:
    """Apply what is missing, in one transaction; returns the version found before. The
    caller has checked the version is not newer than the code (it is checked again under
    the lock, and nothing is applied then)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        found = current_version(conn)
        for migration in pending(found):
            conn.execute(migration.sql.encode())
            conn.execute(
                "INSERT INTO multicodex.schema_version (version) VALUES (%s)",
                (migration.version,),
            )
    return found
