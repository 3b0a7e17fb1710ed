"""``initializationOptions``: validated, or every option at its default plus a warning that
names the bad field."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from multicodex.protocol import InitializationOptions


def read_options(raw: Any) -> tuple[InitializationOptions, str | None]:
    """The options, and the warning to show when they had to be replaced by defaults."""
    try:
        options = InitializationOptions.model_validate({} if raw is None else raw)
    except ValidationError as exc:
        from multicodex.app.errors import invalid_params  # rare: not worth loading at start

        return InitializationOptions(), _warning(invalid_params(exc).message)
    strategy = options.rotation.strategy if options.rotation is not None else None
    if strategy is None:
        return options, None
    from multicodex.selection import STRATEGIES  # loaded at start only when one is named

    if strategy not in STRATEGIES:
        known = ", ".join(STRATEGIES)
        problem = f"rotation.strategy: unknown strategy {strategy!r}; one of {known}"
        return InitializationOptions(), _warning(problem)
    return options, None


def _warning(problem: str) -> str:
    detail = problem.removeprefix("invalid params: ")
    return f"MultiCodex: invalid initializationOptions ({detail}); using the defaults"
