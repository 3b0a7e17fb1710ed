"""Which of two token sets of one account is the newer: the rule every credential write obeys.

A refresh token works once, so the newest pair is the account: writing an older pair over
it (a re-import of a file MultiCodex has since refreshed, a stale linked file, a journal
record replayed late) burns the account at its next refresh. Freshness is read from the
tokens themselves, never from file modification times: the access token's issue time
first, then when the holder says it refreshed, then the access token's expiry.
"""

from __future__ import annotations

from multicodex.auth.claims import MalformedTokenError, decode_payload
from multicodex.model import TokenSet


def issued_at(tokens: TokenSet) -> float | None:
    """The access token's ``iat`` claim (unix seconds), if it has one."""
    try:
        value = decode_payload(tokens.access_token).get("iat")
    except MalformedTokenError:
        return None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def same_tokens(a: TokenSet, b: TokenSet) -> bool:
    return a.refresh_token == b.refresh_token and a.access_token == b.access_token


def is_newer(candidate: TokenSet, current: TokenSet) -> bool:
    """True when ``candidate`` was issued after ``current``; False when it is the same pair,
    older, or nothing tells them apart (keeping what we have is the safe choice)."""
    if same_tokens(candidate, current):
        return False
    for mine, theirs in _evidence(candidate, current):
        if mine is not None and theirs is not None and mine != theirs:
            return mine > theirs
    return False


def _evidence(a: TokenSet, b: TokenSet) -> list[tuple[float | None, float | None]]:
    """Comparable facts, most trustworthy first."""
    return [
        (issued_at(a), issued_at(b)),
        (a.last_refresh, b.last_refresh),
        (a.expires_at or None, b.expires_at or None),
    ]
