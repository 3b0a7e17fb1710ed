"""Which account may serve on paid credits once every included quota is used up.

The backend keeps serving an account past its included quota while it has purchased
credits (``credits.has_credits``; Business accounts even report ``limit_reached`` with
credits and still serve). That costs money, so it is a separate, last tier that only the
``paid-credits`` setting opens. Pure: ``now`` is a parameter.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from multicodex.headroom import cooldown_of, limit_of
from multicodex.model import StoredAccount, UsageSnapshot


def has_paid_credits(usage: UsageSnapshot | None) -> bool:
    """The backend says the account has credits, and not a balance of nothing."""
    credits = usage.credits if usage is not None else None
    if credits is None or not credits.has_credits:
        return False
    if credits.unlimited:
        return True
    balance = _amount(credits.balance)
    return balance is None or balance > 0


def serves_only_on_paid_credits(account: StoredAccount, now: float) -> bool:
    """A window is at 100 % as of now, yet the account has paid credits: the backend
    would serve a request on them, so selection leaves it out (only the ``paid-credits``
    setting brings it back, last)."""
    return limit_of(account.usage, now) is not None and has_paid_credits(account.usage)


PAID_CREDITS_SKIP = (
    "is at its limit with only paid credits left (spent only with when_exhausted paid-credits)"
)


def paid_credit_account(
    accounts: Sequence[StoredAccount],
    now: float,
    *,
    skip: Collection[str] = (),
    only: str | None = None,
) -> StoredAccount | None:
    """The first account (pool order) whose included quota is used up and that has paid
    credits; ``skip``: accounts this request already had on credits."""
    for account in accounts:
        if account.needs_reauth or account.key in skip or only not in (None, account.key):
            continue
        used_up = cooldown_of(account, now) is not None or limit_of(account.usage, now) is not None
        if used_up and has_paid_credits(account.usage):
            return account
    return None


def _amount(balance: str | None) -> float | None:
    if balance is None:
        return None
    try:
        return float(balance)
    except ValueError:
        return None
