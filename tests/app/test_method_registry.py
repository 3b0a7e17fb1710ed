"""Every protocol method is declared once, next to its handler, with the params and result
models the protocol gives it; the server and `App.call` serve exactly what is declared."""

from __future__ import annotations

import inspect
import typing

import pytest

import multicodex.app  # noqa: F401  (importing the application registers its handlers)
from multicodex.app.registry import handles, registered_methods
from multicodex.protocol import METHODS, Method, NoParams, Status


def test_every_method_has_one_handler_declared_with_the_protocols_models() -> None:
    registered = registered_methods()

    assert set(registered) == set(Method) == set(METHODS)
    for method, spec in METHODS.items():
        entry = registered[method]
        assert entry.method is method
        assert (entry.params, entry.result) == (spec.params, spec.result), method


def test_each_handler_takes_and_returns_the_declared_models() -> None:
    for method, entry in registered_methods().items():
        hints = typing.get_type_hints(inspect.unwrap(entry.handler))
        params = [value for name, value in hints.items() if name != "return"]
        assert params == [entry.params], method
        assert hints["return"] is entry.result, method


def test_a_second_handler_for_a_method_is_refused() -> None:
    with pytest.raises(RuntimeError, match="multicodex/status/get already has a handler"):

        @handles(Method.STATUS_GET, NoParams, Status)
        async def another(host: typing.Any, params: NoParams) -> Status:
            raise AssertionError("never called")

    assert registered_methods()[Method.STATUS_GET].handler.__name__ == "status_get"
