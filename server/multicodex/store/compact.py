"""Less memory for the document every reader shares.

Pydantic keeps, per model instance, the set of the fields its input named
(``model_fields_set``). The store writes every field, so a parsed document names them all:
with 1,000 accounts those sets take about 3 MiB, half the accounts' memory, and nothing
reads them (the store writes whole documents, never ``exclude_unset``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel

_CONTAINERS = (BaseModel, list, dict)


def forget_fields_set(model: BaseModel) -> None:
    """Empty ``model_fields_set`` of ``model`` and of every model inside it.

    They all share one empty set (an empty set per model would still cost 1 MiB with
    1,000 accounts). That is safe because a shared document is never changed in place:
    its readers must not, and changes go through copies (`Store.read`, transactions,
    ``model_copy``), each of which gets a set of its own.
    """
    _forget(model, set())


def _forget(model: BaseModel, empty: set[str]) -> None:
    object.__setattr__(model, "__pydantic_fields_set__", empty)
    _forget_in(model.__dict__.values(), empty)


def _forget_in(values: Iterable[Any], empty: set[str]) -> None:
    for value in values:
        if not isinstance(value, _CONTAINERS):
            continue
        if isinstance(value, BaseModel):
            _forget(value, empty)
        elif isinstance(value, list):
            _forget_in(value, empty)
        else:
            _forget_in(value.values(), empty)
