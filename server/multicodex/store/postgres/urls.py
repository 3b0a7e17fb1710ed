"""Database URLs: which store settings name one, how each is shown to people (without its
password) and the connection parameters MultiCodex adds (bounded waits)."""

from __future__ import annotations

from pathlib import Path

from psycopg import conninfo

from multicodex.store.postgres.errors import StoreUrlInvalid

CONNECT_TIMEOUT_SECONDS = 5
"""A database that does not answer fails the request in seconds, never hangs it."""
STATEMENT_TIMEOUT_MS = 15_000
LOCK_TIMEOUT_MS = 60_000
"""The same bound as the file store's lock: another machine's transaction held longer
than this is reported, not waited on for ever."""
APPLICATION_NAME = "multicodex"


def connection_parameters(url: str, home: Path) -> str:
    """What psycopg connects with: the URL's parameters plus MultiCodex's timeouts (those
    the URL sets itself win). Raises `StoreUrlInvalid` for a URL libpq cannot parse."""
    try:
        params = {k: str(v) for k, v in conninfo.conninfo_to_dict(url).items() if v is not None}
    except Exception:  # psycopg.ProgrammingError, and anything libpq says of a bad URL
        raise StoreUrlInvalid(
            f"the store setting {redact(url)} is not a PostgreSQL URL libpq accepts "
            "(postgresql://USER@HOST:PORT/DATABASE); fix MULTICODEX_STORE or --store",
            home,
        ) from None
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_SECONDS))
    params.setdefault("application_name", APPLICATION_NAME)
    params.setdefault("options", f"-c statement_timeout={STATEMENT_TIMEOUT_MS}")
    return conninfo.make_conninfo(**params)


def redact(url: str) -> str:
    """``url`` for people: no password, no query (it may carry one)."""
    text = url.strip()
    scheme, _, rest = text.partition("://")
    if not rest:
        return "(an unparsable URL)"
    authority, slash, path = rest.partition("/")
    userinfo, at, hostport = authority.rpartition("@")
    user = userinfo.partition(":")[0]
    shown_authority = f"{user}@{hostport}" if at else hostport
    database = path.partition("?")[0]
    return f"{scheme}://{shown_authority}{slash}{database}"
