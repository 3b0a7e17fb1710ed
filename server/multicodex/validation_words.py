"""What is wrong with a value that does not validate, said the way a person would say it
("must be between 0 and 50", "is required"), instead of pydantic's own wording. The
value itself is never repeated: it may be a secret."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_SENTENCES = {"value_error", "assertion_error"}
"""The model's own checks, whose messages are written as whole sentences."""
_KINDS: dict[str, str] = {
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "none_required": "must be null",
    "url_parsing": "must be a URL",
    "url_type": "must be a URL",
    "url_scheme": "must be an http or https URL",
}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    """The field's path, dotted ("reasoning.summary"); empty for the value as a whole."""
    problem: str
    """What is wrong, as a predicate ("must be at most 50", "is required"), or as a whole
    sentence when a check of several fields together failed."""
    whole_sentence: bool = False

    def sentence(self, name: str | None = None) -> str:
        """``retry_limit must be at most 50`` (``name`` in place of the field's path)."""
        if self.whole_sentence:
            return self.problem
        return f"{name or self.field or 'the value'} {self.problem}"


def field_problems(
    exc: ValidationError, model: type[BaseModel] | None = None
) -> list[FieldProblem]:
    """Every error of ``exc`` in words; ``model`` (the one validated) lets a bound name both
    ends of its range ("between 0 and 50")."""
    return [
        FieldProblem(
            ".".join(str(p) for p in error["loc"]),
            describe(error, model),
            whole_sentence=error["type"] in _SENTENCES,
        )
        for error in exc.errors(include_url=False, include_input=False)
    ]


def describe(error: ErrorDetails, model: type[BaseModel] | None = None) -> str:
    kind = error["type"]
    ctx: Mapping[str, Any] = error.get("ctx") or {}
    if kind in _BOUNDS:
        return _bounds(_field_bounds(model, error["loc"]) or ctx)
    if kind in _KINDS:
        return _KINDS[kind]
    special = _SPECIAL.get(kind)
    if special is not None:
        return special(ctx)
    return _reworded(error["msg"])


def _bounds(bounds: Mapping[str, Any]) -> str:
    low = _first(bounds, "ge", "gt")
    high = _first(bounds, "le", "lt")
    if "ge" in bounds and "le" in bounds:
        return f"must be between {_number(bounds['ge'])} and {_number(bounds['le'])}"
    parts = []
    if low is not None:
        parts.append(f"{'at least' if 'ge' in bounds else 'more than'} {_number(low)}")
    if high is not None:
        parts.append(f"{'at most' if 'le' in bounds else 'less than'} {_number(high)}")
    return f"must be {' and '.join(parts)}" if parts else "is out of range"


def _field_bounds(model: type[BaseModel] | None, loc: tuple[int | str, ...]) -> dict[str, Any]:
    """The numeric bounds the model declares for a top-level field."""
    if model is None or len(loc) != 1 or not isinstance(loc[0], str):
        return {}
    field = model.model_fields.get(loc[0])
    if field is None:
        return {}
    found: dict[str, Any] = {}
    for meta in field.metadata:
        if isinstance(meta, annotated_types.Ge | annotated_types.Gt):
            found["ge" if isinstance(meta, annotated_types.Ge) else "gt"] = _bound_value(meta)
        elif isinstance(meta, annotated_types.Le | annotated_types.Lt):
            found["le" if isinstance(meta, annotated_types.Le) else "lt"] = _bound_value(meta)
    return found


def _bound_value(meta: object) -> Any:
    for name in ("ge", "gt", "le", "lt"):
        if hasattr(meta, name):
            return getattr(meta, name)
    return None


def _first(values: Mapping[str, Any], *names: str) -> Any:
    return next((values[name] for name in names if name in values), None)


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _length(ctx: Mapping[str, Any], limit: str, unit: str) -> str:
    count = ctx.get(limit)
    plural = "" if count == 1 else "s"
    if limit == "min_length":
        return "must not be empty" if count == 1 else f"must have at least {count} {unit}{plural}"
    return f"must have at most {count} {unit}{plural}"


_SPECIAL: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "literal_error": lambda ctx: f"must be {ctx.get('expected', 'one of the listed values')}",
    "enum": lambda ctx: f"must be {ctx.get('expected', 'one of the listed values')}",
    "string_too_short": lambda ctx: _length(ctx, "min_length", "character"),
    "string_too_long": lambda ctx: _length(ctx, "max_length", "character"),
    "too_short": lambda ctx: _length(ctx, "min_length", "item"),
    "too_long": lambda ctx: _length(ctx, "max_length", "item"),
    "value_error": lambda ctx: str(ctx.get("error", "is not valid")),
    "assertion_error": lambda ctx: str(ctx.get("error", "is not valid")),
}


def _reworded(message: str) -> str:
    """pydantic's sentence for an error kind not listed above, as a predicate."""
    for theirs, ours in (("Input should be ", "must be "), ("Input should have ", "must have ")):
        if message.startswith(theirs):
            return ours + message.removeprefix(theirs).split(",")[0]
    return "is not valid"
