"""editor-client/src/protocol.ts mirrors multicodex.protocol: the same method and
notification names, error codes, and field names for every model that crosses the wire."""

from __future__ import annotations

import inspect
import re

import pytest
from pydantic import BaseModel

from editor.harness import CLIENT
from multicodex import protocol

PROTOCOL_TS = (CLIENT / "src" / "protocol.ts").read_text(encoding="utf-8")
INTERFACE = re.compile(r"export interface (\w+)(?: extends (\w+))? \{(.*?)\}\n", re.S)
FIELD = re.compile(r"^  (\w+)\??:", re.M)


def _interfaces() -> dict[str, tuple[str | None, list[str]]]:
    return {m[1]: (m[2], FIELD.findall(m[3])) for m in INTERFACE.finditer(PROTOCOL_TS)}


def _ts_fields(name: str, interfaces: dict[str, tuple[str | None, list[str]]]) -> set[str]:
    parent, fields = interfaces[name]
    return set(fields) | (_ts_fields(parent, interfaces) if parent else set())


def _wire_models() -> list[type[BaseModel]]:
    models = {*protocol.params_models(), *protocol.sent_models()}
    pending = list(models)
    while pending:
        model = pending.pop()
        for field in model.model_fields.values():
            for nested in _models_in(field.annotation):
                if nested not in models:
                    models.add(nested)
                    pending.append(nested)
    return sorted(models, key=lambda m: m.__name__)


def _models_in(annotation: object) -> list[type[BaseModel]]:
    if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


@pytest.mark.parametrize("model", _wire_models(), ids=lambda m: m.__name__)
def test_every_wire_model_has_an_interface_with_the_same_fields(model: type[BaseModel]) -> None:
    interfaces = _interfaces()
    assert model.__name__ in interfaces, f"protocol.ts has no interface {model.__name__}"
    assert _ts_fields(model.__name__, interfaces) == set(model.model_fields)


def test_method_and_notification_names_match() -> None:
    ts_methods = set(re.findall(r"request<\w+, \w+>\('([\w/]+)'\)", PROTOCOL_TS))
    ts_notifications = set(re.findall(r"new NotificationType<\w+>\('([\w/]+)'\)", PROTOCOL_TS))
    assert ts_methods == {m.value for m in protocol.Method}
    assert ts_notifications == {n.value for n in protocol.Notification}


def test_error_codes_match() -> None:
    ts_codes = dict(re.findall(r"^  ([A-Z_]+): (-\d+),$", PROTOCOL_TS, re.M))
    assert ts_codes == {code.name: str(code.value) for code in protocol.ErrorCode}


def test_protocol_version_matches() -> None:
    assert f"export const PROTOCOL_VERSION = {protocol.PROTOCOL_VERSION};" in PROTOCOL_TS
