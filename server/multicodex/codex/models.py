"""The model list served by ``GET /backend-api/codex/models?client_version=…``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


class ReasoningLevel(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    effort: str
    description: str | None = None


class ModelInfo(BaseModel):
    """One model the account may use. Unknown fields are ignored; slugs churn quickly."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    slug: str
    display_name: str = ""
    description: str | None = None
    visibility: str | None = None
    supported_in_api: bool | None = None
    minimal_client_version: str | None = None
    priority: int | None = None
    context_window: int | None = None
    max_context_window: int | None = None
    default_reasoning_level: str | None = None
    supported_reasoning_levels: list[ReasoningLevel] = []
    input_modalities: list[str] = []
    max_output_tokens: int | None = None
    supports_parallel_tool_calls: bool | None = None
    supports_tools: bool | None = None
    """Not in today's catalogs; a False here would mean the model takes no tools."""

    @model_validator(mode="before")
    @classmethod
    def _name_defaults_to_slug(cls, value: Any) -> Any:
        if isinstance(value, dict) and not value.get("display_name") and "slug" in value:
            return {**value, "display_name": value["slug"]}
        return value

    @property
    def listed(self) -> bool:
        """Whether a picker should offer it (the backend hides internal models)."""
        return self.visibility in (None, "list")


class ModelCatalog(BaseModel):
    """The list plus the ``ETag`` to revalidate it with."""

    model_config = ConfigDict(frozen=True)

    models: list[ModelInfo]
    etag: str | None = None


class ModelListPayload(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    models: list[ModelInfo] = []
