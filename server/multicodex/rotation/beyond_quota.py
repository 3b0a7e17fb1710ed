"""What a request may use once every account's included quota is used up, by the rotation
policy's ``when_exhausted``: nothing (``wait``, the default: the engine waits for the
earliest reset or fails), a banked reset credit (``reset-credit``), or an account's paid
credits (``paid-credits``). Nothing is ever spent unless the setting says so.
"""

from __future__ import annotations

from dataclasses import dataclass

from multicodex.model import GENERAL_BUCKET, RotationPolicy, bucket_for_model
from multicodex.paid_credits import paid_credit_account
from multicodex.pool import Pool
from multicodex.pool.reset_credits import ResetCreditSpender
from multicodex.rotation.models import CompletionRequest


@dataclass(frozen=True)
class Rescue:
    """The account to serve the request on after all, and why in words."""

    account_key: str
    why: str


class BeyondQuota:
    """Shared by every request of the engine (the spender decides once for all)."""

    def __init__(self, pool: Pool, spender: ResetCreditSpender) -> None:
        self.pool = pool
        self.spender = spender

    def for_request(self, request: CompletionRequest, policy: RotationPolicy) -> RequestRescue:
        return RequestRescue(self, request, policy)


class RequestRescue:
    """One request's use of the tier beyond included quota: each account at most once."""

    def __init__(
        self, shared: BeyondQuota, request: CompletionRequest, policy: RotationPolicy
    ) -> None:
        self._shared = shared
        self._request = request
        self._policy = policy
        self._tried: set[str] = set()

    async def next_account(self) -> Rescue | None:
        """An account the settings allow to serve now, or None (wait or fail as before)."""
        mode = self._policy.when_exhausted
        # Credits and resets concern the account's general limit, not a model's own one.
        if mode == "wait" or bucket_for_model(self._request.model) != GENERAL_BUCKET:
            return None
        rescue = await (self._reset_credit() if mode == "reset-credit" else self._paid_credits())
        if rescue is not None:
            self._tried.add(rescue.account_key)
        return rescue

    async def _reset_credit(self) -> Rescue | None:
        spent = await self._shared.spender.spend(
            ask=self._policy.reset_credit_confirm == "ask",
            skip=self._tried,
            only=self._request.account_key,
        )
        return Rescue(spent.account_key, spent.why) if spent is not None else None

    async def _paid_credits(self) -> Rescue | None:
        pool = self._shared.pool
        account = paid_credit_account(
            pool.accounts(), pool.clock(), skip=self._tried, only=self._request.account_key
        )
        if account is None:
            return None
        why = f"paid credits: the included quota of {account.display_name} is used up"
        return Rescue(account.key, why)
