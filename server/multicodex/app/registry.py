"""Protocol methods declared next to their handlers.

``@handles(Method.X, XParams, XResult)`` on an `App` method records it as the handler of
``X`` with its params and result models (mypy checks the handler's signature against
them) and wraps it so that pool and store failures leave it once, as the `AppError` the
protocol names. `App.call` and the JSON-RPC server serve what is recorded here: nothing
else lists the methods a second time.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from multicodex.protocol import Method


class TranslatesFailures(Protocol):
    def failures_translated(self) -> AbstractContextManager[None]:
        """Inside it, a pool or store failure becomes the protocol's AppError."""
        ...


Host = TypeVar("Host", bound=TranslatesFailures)
P = TypeVar("P", bound=BaseModel)
R = TypeVar("R", bound=BaseModel)
Handler = Callable[[Host, P], Awaitable[R]]


@dataclass(frozen=True)
class RegisteredMethod:
    """One protocol method as its handler declared it."""

    method: Method
    params: type[BaseModel]
    result: type[BaseModel]
    handler: Callable[[Any, Any], Awaitable[BaseModel]]
    """The wrapped handler, called with its host (the App) and validated params."""


_REGISTERED: dict[Method, RegisteredMethod] = {}


def handles(
    method: Method, params: type[P], result: type[R]
) -> Callable[[Handler[Host, P, R]], Handler[Host, P, R]]:
    """Register the decorated coroutine method as the handler of ``method``."""

    def register(handler: Handler[Host, P, R]) -> Handler[Host, P, R]:
        @functools.wraps(handler)
        async def translated(host: Host, validated: P) -> R:
            with host.failures_translated():
                return await handler(host, validated)

        if method in _REGISTERED:
            raise RuntimeError(f"{method.value} already has a handler")
        _REGISTERED[method] = RegisteredMethod(method, params, result, translated)
        return translated

    return register


def registered_methods() -> Mapping[Method, RegisteredMethod]:
    """Every method whose handler has been imported (importing `multicodex.app` imports
    them all)."""
    return MappingProxyType(_REGISTERED)
