"""The model catalog served by `/codex/models` and enforced by `/codex/responses`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

_EFFORTS = ("low", "medium", "high", "xhigh")
SPARK_FEATURE = "codex_bengalfox"
"""`metered_feature` of the Spark model's own quota (`additional_rate_limits`)."""
SPARK_LIMIT_NAME = "GPT-5.3-Codex-Spark"


@dataclass(frozen=True)
class CatalogModel:
    slug: str
    display_name: str
    minimal_client_version: str
    priority: int
    context_window: int = 272_000
    visibility: str = "list"
    supported_in_api: bool = True
    plans: tuple[str, ...] | None = None
    """Plans that may use the model; None: every plan."""
    max_context_window: int | None = None
    prefer_websockets: bool = False
    use_responses_lite: bool | None = None
    metered_feature: str | None = None
    """The quota the model is charged to when not the account's own (`codex_bengalfox`)."""

    def to_json(self) -> dict[str, Any]:
        document = {
            "slug": self.slug,
            "display_name": self.display_name,
            "description": f"{self.display_name} (emulated)",
            "default_reasoning_level": "medium",
            "supported_reasoning_levels": [
                {"effort": e, "description": f"{e} reasoning"} for e in _EFFORTS
            ],
            "visibility": self.visibility,
            "minimal_client_version": self.minimal_client_version,
            "supported_in_api": self.supported_in_api,
            "priority": self.priority,
            "context_window": self.context_window,
            "max_context_window": self.max_context_window or self.context_window,
            "input_modalities": ["text", "image"],
            "supports_parallel_tool_calls": True,
            "support_verbosity": True,
            "default_verbosity": "low",
            "prefer_websockets": self.prefer_websockets,
            "available_in_plans": list(self.plans) if self.plans else None,
            # Required by the Codex CLI's model decoder: without them it rejects the
            # whole list ("failed to decode models response") and uses its bundled one.
            "shell_type": "shell_command",
            "truncation_policy": {"mode": "tokens", "limit": 10_000},
            "experimental_supported_tools": [],
            "model_messages": {
                "instructions_template": (
                    f"You are Codex, a coding agent running on {self.display_name} (emulated)."
                )
            },
        }
        if self.use_responses_lite is not None:
            document["use_responses_lite"] = self.use_responses_lite
        return document

    def allowed_for(self, plan: str) -> bool:
        return self.plans is None or plan in self.plans


CATALOG: tuple[CatalogModel, ...] = (
    CatalogModel("gpt-6-sol", "GPT-6 Sol", "0.160.0", 1),
    CatalogModel("gpt-5.6-sol", "GPT-5.6 Sol", "0.144.0", 2),
    CatalogModel("gpt-5.6-terra", "GPT-5.6 Terra", "0.144.0", 3),
    CatalogModel("gpt-5.6-luna", "GPT-5.6 Luna", "0.144.0", 4),
    CatalogModel("gpt-5.5", "GPT-5.5", "0.124.0", 5),
    CatalogModel("gpt-5.4", "GPT-5.4", "0.98.0", 6),
    CatalogModel("gpt-5.4-mini", "GPT-5.4 Mini", "0.98.0", 7),
    CatalogModel(
        "gpt-5.3-codex-spark",
        "GPT-5.3 Codex Spark",
        "0.98.0",
        8,
        context_window=128_000,
        supported_in_api=False,
        plans=("pro",),
        metered_feature=SPARK_FEATURE,
    ),
    CatalogModel("codex-auto-review", "Codex Auto Review", "0.98.0", 9, visibility="hide"),
    # New in the 0.171.0 bundled catalog (priority 1 there); listed last here so the
    # default model clients pick from this list stays gpt-6-sol.
    CatalogModel(
        "gpt-6.2-sol",
        "GPT-6.2 Sol",
        "0.166.0",
        10,
        context_window=500_000,
        max_context_window=872_000,
        prefer_websockets=True,
        use_responses_lite=True,
    ),
    CatalogModel(
        "gpt-6.2-astra",
        "GPT-6.2 Astra",
        "0.166.0",
        11,
        context_window=272_000,
        max_context_window=872_000,
        prefer_websockets=True,
        use_responses_lite=True,
    ),
)


class Catalog:
    """The served catalog; a model's `minimal_client_version` can be changed (controls)."""

    def __init__(self, models: tuple[CatalogModel, ...] = CATALOG) -> None:
        self._models = {m.slug: m for m in models}

    def find(self, slug: str) -> CatalogModel | None:
        return self._models.get(slug)

    def allowed(self, slug: str, plan: str) -> bool:
        model = self._models.get(slug)
        return model is not None and model.allowed_for(plan)

    def required_version(self, slug: str, client_version: str | None) -> str | None:
        """The model's minimal version when `client_version` is below it; no version: None."""
        model = self._models.get(slug)
        if model is None or not client_version:
            return None
        if parse_version(client_version) >= parse_version(model.minimal_client_version):
            return None
        return model.minimal_client_version

    def set_minimal_version(self, slug: str, version: str) -> CatalogModel:
        model = self._models.get(slug)
        if model is None:
            raise ValueError(f"unknown model {slug!r}")
        parse_version(version)
        self._models[slug] = replace(model, minimal_client_version=version)
        return self._models[slug]

    def document(self, client_version: str | None, plan: str) -> dict[str, Any]:
        """Models visible to this client version and plan (all of them without a version)."""
        version = parse_version(client_version) if client_version else None
        models = [
            m.to_json()
            for m in self._models.values()
            if m.allowed_for(plan)
            and (version is None or parse_version(m.minimal_client_version) <= version)
        ]
        return {"models": models}


def etag_of(document: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()
    return f'W/"{digest[:32]}"'


def parse_version(text: str) -> tuple[int, ...]:
    """`0.169.0` → (0, 169, 0); anything after a `-` or `+` is ignored; junk counts as 0."""
    core = text.split("-", 1)[0].split("+", 1)[0]
    return tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
