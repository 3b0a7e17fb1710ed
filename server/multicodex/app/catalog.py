"""The models to offer, and which accounts can serve each.

The backend's list depends on the plan (Spark is Pro only), so it is fetched once per plan
in the pool, with an account of that plan, and revalidated by ETag; ``models/list`` offers
the union. Routing reads the same lists (``plan_models``). When no list could be fetched a
small built-in list keeps a picker from being empty.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from multicodex.app.snapshot import PoolSnapshot
from multicodex.app.views import account_ref
from multicodex.codex.client import CodexClient
from multicodex.codex.errors import CodexFailure
from multicodex.codex.models import ModelCatalog, ModelInfo
from multicodex.config import client_version
from multicodex.model import StoredAccount
from multicodex.model_access import PlanModels, model_block, plan_of
from multicodex.pool import Pool, PoolError
from multicodex.pool.locks import LockTimeout
from multicodex.protocol import (
    AccountRef,
    ModelAccountBlock,
    ModelsListParams,
    ModelsListResult,
    ModelSummary,
)

log = logging.getLogger(__name__)

MODELS_TIMEOUT = 10.0
PREPARE_TIMEOUT = 5.0
"""How long a completion waits for the first lists of plans not fetched yet."""
REVALIDATE_SECONDS = 3600.0
"""A plan's list is revalidated (a 304 when unchanged) when it is older than this."""
RETRY_FAILED_SECONDS = 300.0
"""A plan whose fetch failed is not tried again for this long (routing does not wait)."""
DEFAULT_MAX_INPUT_TOKENS = 272_000
"""A model's input budget when its catalog entry gives no context_window."""
DEFAULT_MAX_OUTPUT_TOKENS = 128_000
"""A model's output budget when its catalog entry gives none (the catalogs never have)."""
_FALLBACK_CAPABILITIES = {
    "context_window": DEFAULT_MAX_INPUT_TOKENS,
    "max_input_tokens": DEFAULT_MAX_INPUT_TOKENS,
    "max_output_tokens": DEFAULT_MAX_OUTPUT_TOKENS,
    "supports_images": True,
    "supports_tools": True,
    "supports_parallel_tool_calls": True,
}
FALLBACK_MODELS = (
    ModelSummary(
        slug="gpt-5.5",
        display_name="GPT-5.5",
        description=None,
        default_reasoning_effort="medium",
        reasoning_efforts=["low", "medium", "high", "xhigh"],
        **_FALLBACK_CAPABILITIES,
    ),
    ModelSummary(
        slug="gpt-5.4",
        display_name="GPT-5.4",
        description=None,
        default_reasoning_effort="medium",
        reasoning_efforts=["low", "medium", "high", "xhigh"],
        **_FALLBACK_CAPABILITIES,
    ),
    ModelSummary(
        slug="gpt-5.4-mini",
        display_name="GPT-5.4 mini",
        description=None,
        default_reasoning_effort="medium",
        reasoning_efforts=["low", "medium", "high"],
        **_FALLBACK_CAPABILITIES,
    ),
)


@dataclass
class _PlanList:
    catalog: ModelCatalog
    fetched_at: float


class ModelCache:
    """The model list of each plan in the pool, with its ETag and when it was fetched."""

    def __init__(self, pool: Pool, codex: CodexClient, snapshot: Callable[[], PoolSnapshot]):
        self._pool = pool
        self._codex = codex
        self._snapshot = snapshot
        self._plans: dict[str, _PlanList] = {}
        self._failed_at: dict[str, float] = {}
        self._lock = asyncio.Lock()
        self._settled: tuple[object, float] | None = None
        """The store document last seen with no list due, and until when none is: a
        completion then checks nothing (building the pool's snapshot costs more than the
        rest of its way to the upstream request)."""

    async def models(self, params: ModelsListParams) -> ModelsListResult:
        fetched = await self._fetch_plans(force=params.refresh)
        snapshot = self._snapshot()
        listed = self._listed()
        if not listed:
            return self._fallback(snapshot)
        return ModelsListResult(
            models=[self._summary(m, snapshot) for m in listed],
            default_model=listed[0].slug,
            source="backend" if fetched else "cache",
            fetched_at=max(p.fetched_at for p in self._plans.values()),
        )

    # -- what routing reads (rotation.engine.ModelDirectory) ------------------------------

    async def prepare(self) -> None:
        """Fetch the lists a completion may need: plans with none yet, stale ones."""
        try:
            async with asyncio.timeout(PREPARE_TIMEOUT):
                await self._fetch_plans(force=False)
        except TimeoutError:
            log.warning(
                "model lists not fetched within %g s; routing without them", PREPARE_TIMEOUT
            )

    def plan_models(self) -> PlanModels:
        """Every slug each fetched plan's list offers, hidden ones included."""
        return {
            plan: frozenset(m.slug for m in entry.catalog.models)
            for plan, entry in self._plans.items()
        }

    def display_name(self, slug: str) -> str | None:
        for entry in self._plans.values():
            for model in entry.catalog.models:
                if model.slug == slug:
                    return model.display_name or slug
        return None

    def servable_models(self) -> list[str]:
        """The listed models at least one account can serve now, in list order."""
        snapshot = self._snapshot()
        return [m.slug for m in self._listed() if self._accounts_for(m.slug, snapshot.accounts)[0]]

    # -- fetching -----------------------------------------------------------------------

    async def _fetch_plans(self, *, force: bool) -> bool:
        """Fetch (or revalidate) one list per plan that needs it; True when any answered."""
        async with self._lock:
            due = self._due_plans(force)
            results = await asyncio.gather(*(self._fetch(plan, key) for plan, key in due))
            return any(results)

    def _due_plans(self, force: bool) -> list[tuple[str, str]]:
        now = self._pool.clock()
        document = self._pool.document()
        settled = self._settled
        if not force and settled is not None and settled[0] is document and now < settled[1]:
            return []
        due = []
        next_due = math.inf
        for plan, key in _fetching_accounts(self._snapshot()).items():
            entry = self._plans.get(plan)
            failed = self._failed_at.get(plan)
            if not force and failed is not None and now - failed < RETRY_FAILED_SECONDS:
                next_due = min(next_due, failed + RETRY_FAILED_SECONDS)
                continue
            if force or entry is None or now - entry.fetched_at >= REVALIDATE_SECONDS:
                due.append((plan, key))
            else:
                next_due = min(next_due, entry.fetched_at + REVALIDATE_SECONDS)
        self._settled = None if due else (document, next_due)
        return due

    async def _fetch(self, plan: str, key: str) -> bool:
        entry = self._plans.get(plan)
        try:
            account = await self._pool.tokens.valid(key)
            catalog = await self._codex.fetch_model_catalog(
                access_token=account.tokens.access_token,
                account_id=account.account_id,
                etag=entry.catalog.etag if entry is not None else None,
                timeout=MODELS_TIMEOUT,
            )
        except (CodexFailure, PoolError, LockTimeout) as exc:
            log.warning("could not fetch the model list of plan %r: %s", plan or "unknown", exc)
            self._failed_at[plan] = self._pool.clock()
            return False
        self._failed_at.pop(plan, None)
        now = self._pool.clock()
        if catalog is not None:
            self._plans[plan] = _PlanList(catalog, now)
        elif entry is not None:
            entry.fetched_at = now
        return True

    # -- the listing --------------------------------------------------------------------

    def _listed(self) -> list[ModelInfo]:
        """The union of the plans' listed models (hidden ones left out), by priority."""
        union: dict[str, ModelInfo] = {}
        for entry in self._plans.values():
            for model in entry.catalog.models:
                if model.listed:
                    union.setdefault(model.slug, model)
        return sorted(union.values(), key=_priority)

    def _summary(self, model: ModelInfo, snapshot: PoolSnapshot) -> ModelSummary:
        serving, blocked = self._accounts_for(model.slug, snapshot.accounts)
        return ModelSummary(
            slug=model.slug,
            display_name=model.display_name or model.slug,
            description=model.description,
            default_reasoning_effort=model.default_reasoning_level,
            reasoning_efforts=[level.effort for level in model.supported_reasoning_levels],
            context_window=model.context_window,
            max_input_tokens=model.context_window or DEFAULT_MAX_INPUT_TOKENS,
            max_output_tokens=model.max_output_tokens or DEFAULT_MAX_OUTPUT_TOKENS,
            supports_images="image" in model.input_modalities,
            supports_tools=model.supports_tools is not False,
            supports_parallel_tool_calls=model.supports_parallel_tool_calls is not False,
            accounts=serving,
            unavailable=blocked,
        )

    def _fallback(self, snapshot: PoolSnapshot) -> ModelsListResult:
        models = []
        for model in FALLBACK_MODELS:
            serving, blocked = self._accounts_for(model.slug, snapshot.accounts)
            models.append(model.model_copy(update={"accounts": serving, "unavailable": blocked}))
        return ModelsListResult(
            models=models, default_model=models[0].slug, source="fallback", fetched_at=None
        )

    def _accounts_for(
        self, slug: str, accounts: Sequence[StoredAccount]
    ) -> tuple[list[AccountRef], list[ModelAccountBlock]]:
        serving: list[AccountRef] = []
        blocked: list[ModelAccountBlock] = []
        now = self._pool.clock()
        plan_models = self.plan_models()
        version = client_version()
        name = self.display_name(slug)
        for account in accounts:
            block = model_block(
                account,
                slug,
                now=now,
                plan_models=plan_models,
                client_version=version,
                model_name=name,
            )
            if block is None:
                serving.append(account_ref(account))
            else:
                blocked.append(
                    ModelAccountBlock(
                        account=account_ref(account), reason=block.text, until=block.until
                    )
                )
        return serving, blocked


def _fetching_accounts(snapshot: PoolSnapshot) -> dict[str, str]:
    """One account per plan to fetch that plan's list with: the active account for its
    plan, else the first with live credentials (a model list costs no quota, so an account
    on cooldown will do)."""
    chosen: dict[str, str] = {}
    active = snapshot.find(snapshot.active_key) if snapshot.active_key else None
    if active is not None and not active.needs_reauth:
        chosen[plan_of(active)] = active.key
    for account in snapshot.accounts:
        if not account.needs_reauth:
            chosen.setdefault(plan_of(account), account.key)
    return chosen


def _priority(model: ModelInfo) -> int:
    return model.priority if model.priority is not None else 1 << 30
