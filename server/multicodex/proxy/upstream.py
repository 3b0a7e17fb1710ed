"""The backend's own JSON for the CLI's side calls (model lists, usage), fetched with an
account of the pool: the CLI gets every field the backend sends, not MultiCodex's reading."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import httpx2

from multicodex.codex.headers import ACCEPT_ENCODING
from multicodex.config import Endpoints
from multicodex.model import StoredAccount
from multicodex.model_access import plan_of
from multicodex.pool import Pool, PoolError
from multicodex.pool.locks import LockTimeout

log = logging.getLogger(__name__)

SIDE_CALL_TIMEOUT = 10.0


class Upstream:
    def __init__(self, pool: Pool, http: httpx2.AsyncClient, endpoints: Endpoints) -> None:
        self._pool = pool
        self._http = http
        self._endpoints = endpoints

    async def usage(self, user_agent: str | None) -> tuple[int, Any]:
        """The active account's ``wham/usage``, as the backend words it."""
        key = self._serving_key()
        if key is None:
            return 404, {"detail": "no account in the MultiCodex pool"}
        return await self._get(key, self._endpoints.usage_url, user_agent)

    async def models(self, query: str, user_agent: str | None) -> tuple[int, Any]:
        """The union of each plan's ``codex/models`` (a Pro account adds the Pro models)."""
        url = f"{self._endpoints.models_url}?{query}" if query else self._endpoints.models_url
        keys = list(_one_account_per_plan(self._pool.accounts(), self._pool.active).values())
        if not keys:
            return 200, {"models": []}
        answers = await asyncio.gather(*(self._get(k, url, user_agent) for k in keys))
        merged: dict[str, Any] = {}
        for status, payload in answers:
            if status == 200 and isinstance(payload, dict):
                for model in payload.get("models") or []:
                    if isinstance(model, dict) and isinstance(model.get("slug"), str):
                        merged.setdefault(model["slug"], model)
        if not merged and answers:
            return answers[0]
        return 200, {"models": list(merged.values())}

    def _serving_key(self) -> str | None:
        usable = [a for a in self._pool.accounts() if not a.needs_reauth]
        active = self._pool.active
        if any(a.key == active for a in usable):
            return active
        return usable[0].key if usable else None

    async def _get(self, key: str, url: str, user_agent: str | None) -> tuple[int, Any]:
        try:
            account = await self._pool.tokens.valid(key)
            headers = {
                "Authorization": f"Bearer {account.tokens.access_token}",
                "Accept": "application/json",
                "Accept-Encoding": ACCEPT_ENCODING,
            }
            if account.account_id:
                headers["chatgpt-account-id"] = account.account_id
            if user_agent:
                headers["User-Agent"] = user_agent
            response = await self._http.get(url, headers=headers, timeout=SIDE_CALL_TIMEOUT)
            return response.status_code, response.json()
        except (PoolError, LockTimeout, httpx2.HTTPError, ValueError) as exc:
            log.info("side call %s failed: %s", url.rsplit("/", 1)[-1], type(exc).__name__)
            return 502, {"detail": "Bad Gateway"}


def _one_account_per_plan(accounts: list[StoredAccount], active: str | None) -> dict[str, str]:
    chosen: dict[str, str] = {}
    ordered = sorted(accounts, key=lambda a: a.key != active)
    for account in ordered:
        if not account.needs_reauth:
            chosen.setdefault(plan_of(account), account.key)
    return chosen
