"""Moving accounts between stores (a file and a database, either way) without ever putting
older tokens over newer ones.

Each account of the source is added to the target when the target lacks it, and replaces
the target's copy only when its tokens are at least as fresh (refreshed later, or expiring
later when neither says when it was refreshed). The settings go along when the target's are
still the defaults, and the pin when the target has none; the rest of the target is kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from multicodex.model import Settings, StoredAccount
from multicodex.store.backend import StoreBackend


@dataclass
class MoveReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_newer: list[str] = field(default_factory=list)
    """Accounts whose copy in the target was fresher: left as they were."""
    settings_copied: bool = False


def freshness(account: StoredAccount) -> tuple[float, float]:
    tokens = account.tokens
    return (tokens.last_refresh or 0.0, tokens.expires_at)


def move_accounts(source: StoreBackend, target: StoreBackend) -> MoveReport:
    """Copy ``source`` into ``target`` in one transaction of the target (see the module)."""
    incoming = source.read()
    report = MoveReport()
    with target.transaction() as document:
        for account in incoming.accounts:
            present = document.find(account.key)
            if present is None:
                document.accounts.append(account.model_copy(deep=True))
                report.added.append(account.key)
            elif present == account:
                report.unchanged.append(account.key)
            elif freshness(account) >= freshness(present):
                document.accounts[document.accounts.index(present)] = account.model_copy(deep=True)
                report.updated.append(account.key)
            else:
                report.kept_newer.append(account.key)
        if document.settings == Settings() and incoming.settings != Settings():
            document.settings = incoming.settings.model_copy(deep=True)
            report.settings_copied = True
        if document.pinned is None and incoming.pinned is not None:
            document.pinned = incoming.pinned
        if document.active is None:
            document.active = incoming.active
    return report
