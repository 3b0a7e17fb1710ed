"""The models to offer: the backend's list fetched with a pool account and revalidated by
ETag, else a small built-in list so a picker is never empty."""

from __future__ import annotations

import logging
from collections.abc import Callable

from multicodex.app.snapshot import PoolSnapshot
from multicodex.codex.client import CodexClient
from multicodex.codex.errors import CodexFailure
from multicodex.codex.models import ModelCatalog, ModelInfo
from multicodex.pool import Pool, PoolError
from multicodex.pool.locks import LockTimeout
from multicodex.protocol import ModelsListParams, ModelsListResult, ModelSummary

log = logging.getLogger(__name__)

MODELS_TIMEOUT = 10.0
FALLBACK_MODELS = (
    ModelSummary(
        slug="gpt-5.5",
        display_name="GPT-5.5",
        description=None,
        default_reasoning_effort="medium",
        reasoning_efforts=["low", "medium", "high", "xhigh"],
        context_window=272_000,
    ),
    ModelSummary(
        slug="gpt-5.4",
        display_name="GPT-5.4",
        description=None,
        default_reasoning_effort="medium",
        reasoning_efforts=["low", "medium", "high", "xhigh"],
        context_window=272_000,
    ),
    ModelSummary(
        slug="gpt-5.4-mini",
        display_name="GPT-5.4 mini",
        description=None,
        default_reasoning_effort="medium",
        reasoning_efforts=["low", "medium", "high"],
        context_window=272_000,
    ),
)


class ModelCache:
    """The last model list fetched, with the time and the ETag to revalidate it."""

    def __init__(self, pool: Pool, codex: CodexClient, snapshot: Callable[[], PoolSnapshot]):
        self._pool = pool
        self._codex = codex
        self._snapshot = snapshot
        self._catalog: ModelCatalog | None = None
        self._fetched_at: float | None = None

    async def models(self, params: ModelsListParams) -> ModelsListResult:
        if self._catalog is not None and not params.refresh:
            return self._result("cache")
        if await self._fetch():
            return self._result("backend")
        if self._catalog is not None:
            return self._result("cache")
        return ModelsListResult(
            models=list(FALLBACK_MODELS),
            default_model=FALLBACK_MODELS[0].slug,
            source="fallback",
            fetched_at=None,
        )

    async def _fetch(self) -> bool:
        """Fetch (or revalidate) with the active account; False when none could."""
        key = _fetching_account(self._snapshot())
        if key is None:
            return False
        try:
            account = await self._pool.tokens.valid(key)
            catalog = await self._codex.fetch_model_catalog(
                access_token=account.tokens.access_token,
                account_id=account.account_id,
                etag=self._catalog.etag if self._catalog is not None else None,
                timeout=MODELS_TIMEOUT,
            )
        except (CodexFailure, PoolError, LockTimeout) as exc:
            log.warning("could not fetch the model list: %s", exc)
            return False
        if catalog is not None:
            self._catalog = catalog
        self._fetched_at = self._pool.clock()
        return self._catalog is not None and bool(self._listed())

    def _listed(self) -> list[ModelInfo]:
        models = self._catalog.models if self._catalog is not None else []
        listed = [m for m in models if m.listed]
        return sorted(listed, key=lambda m: m.priority if m.priority is not None else 1 << 30)

    def _result(self, source: str) -> ModelsListResult:
        models = [_summary(m) for m in self._listed()]
        if not models:
            models = list(FALLBACK_MODELS)
        return ModelsListResult.model_validate(
            {
                "models": models,
                "default_model": models[0].slug,
                "source": source,
                "fetched_at": self._fetched_at,
            }
        )


def _fetching_account(snapshot: PoolSnapshot) -> str | None:
    """The active account, else any account with live credentials (a model list costs no
    quota, so an account on cooldown will do)."""
    if snapshot.active_key is not None:
        return snapshot.active_key
    return next((a.key for a in snapshot.accounts if not a.needs_reauth), None)


def _summary(model: ModelInfo) -> ModelSummary:
    return ModelSummary(
        slug=model.slug,
        display_name=model.display_name or model.slug,
        description=model.description,
        default_reasoning_effort=model.default_reasoning_level,
        reasoning_efforts=[level.effort for level in model.supported_reasoning_levels],
        context_window=model.context_window,
    )
