"""Domain errors raised by the pool. Messages name accounts, never tokens."""

from __future__ import annotations


class PoolError(Exception):
    """Base class for pool failures the user can act on."""


class AccountNotFound(PoolError):
    def __init__(self, identifier: str) -> None:
        super().__init__(f"Unknown account: {identifier}")
        self.identifier = identifier


class AmbiguousAccount(AccountNotFound):
    """A name that is the start of several accounts' names."""

    def __init__(self, identifier: str, matches: list[str]) -> None:
        super().__init__(identifier)
        self.args = (
            f"'{identifier}' matches {len(matches)} accounts: {', '.join(matches)}; "
            "type more of the name",
        )
        self.matches = matches


class AccountNeedsReauth(PoolError):
    def __init__(self, key: str, name: str, reason: str | None) -> None:
        detail = f" ({reason})" if reason else ""
        super().__init__(f"{name} needs re-authentication{detail}")
        self.key = key
        self.name = name
        self.reason = reason


class TokenRefreshFailed(PoolError):
    """A refresh failed for a reason that may pass (network, 5xx); the account is kept."""

    def __init__(self, key: str, name: str, detail: str) -> None:
        super().__init__(f"could not refresh {name}: {detail}")
        self.key = key
        self.name = name
        self.detail = detail


def failure_detail(exc: Exception) -> str:
    """What went wrong, without the account's name (the caller shows it beside the account)."""
    if isinstance(exc, AccountNeedsReauth):
        return (
            f"needs re-authentication ({exc.reason})" if exc.reason else "needs re-authentication"
        )
    if isinstance(exc, TokenRefreshFailed):
        return f"token refresh failed: {exc.detail}"
    return str(exc)
