"""The model catalog served by `/codex/models` and enforced by `/codex/responses`."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

_EFFORTS = ("low", "medium", "high", "xhigh")


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

    def to_json(self) -> dict[str, Any]:
        return {
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
            "max_context_window": self.context_window,
            "input_modalities": ["text", "image"],
            "supports_parallel_tool_calls": True,
            "support_verbosity": True,
            "default_verbosity": "low",
            "prefer_websockets": False,
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
    ),
    CatalogModel("codex-auto-review", "Codex Auto Review", "0.98.0", 9, visibility="hide"),
)


def model_allowed(slug: str, plan: str) -> bool:
    return any(m.slug == slug and m.allowed_for(plan) for m in CATALOG)


def catalog_json(client_version: str | None, plan: str) -> dict[str, Any]:
    """Models visible to this client version and plan (all of them without a version)."""
    version = parse_version(client_version) if client_version else None
    models = [
        m.to_json()
        for m in CATALOG
        if m.allowed_for(plan)
        and (version is None or parse_version(m.minimal_client_version) <= version)
    ]
    return {"models": models}


def etag_of(document: dict[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode("utf-8")).hexdigest()
    return f'W/"{digest[:32]}"'


FULL_CATALOG_ETAG = etag_of({"models": [m.to_json() for m in CATALOG]})


def parse_version(text: str) -> tuple[int, ...]:
    """`0.169.0` → (0, 169, 0); anything after a `-` or `+` is ignored; junk counts as 0."""
    core = text.split("-", 1)[0].split("+", 1)[0]
    return tuple(int(p) if p.isdigit() else 0 for p in core.split("."))
