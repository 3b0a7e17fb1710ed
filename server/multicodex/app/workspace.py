"""This window's own account (``initializationOptions.workspace_account``).

A request without ``account_key`` is served by it alone, as if it named it; the pool
chooses only when the client says so (``use_pool``, after asking the user). The store's
pin, shared by every window, is left as it is.
"""

from __future__ import annotations

from multicodex.app.errors import AppError, account_not_found
from multicodex.pool import Pool
from multicodex.pool.errors import AccountNotFound, AmbiguousAccount
from multicodex.protocol import CompleteParams

SETTING = "multicodex.workspaceAccount"
WHY = f"this workspace's account ({SETTING})"


class WorkspaceAccount:
    def __init__(self, pool: Pool, identifier: str | None) -> None:
        self._pool = pool
        self.identifier = identifier

    def key(self) -> str | None:
        """The account's key; None when no workspace account is set or it names none."""
        try:
            return self._resolve()
        except AppError:
            return None

    def problem(self) -> str | None:
        """Why the setting names no account, in words; None when it is fine or unset."""
        try:
            self._resolve()
        except AppError as exc:
            return exc.message
        return None

    def applied(self, params: CompleteParams) -> CompleteParams:
        """``params`` served by this window's account unless they name one or ask the pool."""
        if params.account_key is not None or params.use_pool:
            return params
        key = self._resolve()
        return params if key is None else params.model_copy(update={"account_key": key})

    def _resolve(self) -> str | None:
        if self.identifier is None:
            return None
        try:
            return self._pool.resolve(self.identifier).key
        except AmbiguousAccount:
            raise self._not_found("which matches several accounts; type more of it") from None
        except AccountNotFound:
            raise self._not_found("which is not in the pool") from None

    def _not_found(self, why: str) -> AppError:
        known = [a.key for a in self._pool.accounts()]
        message = f"{SETTING} names '{self.identifier}', {why}"
        return account_not_found(self.identifier or "", known, message)
