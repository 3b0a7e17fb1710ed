"""protocol.md, protocol.schema.json and multicodex.protocol describe the same contract."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from multicodex import protocol
from multicodex.protocol import (
    COMMON_ERRORS,
    ERROR_DATA,
    METHODS,
    NAMESPACE,
    NOTIFICATIONS,
    CompleteParams,
    ErrorCode,
    ErrorObject,
    InitializationOptions,
    Method,
    Notification,
    contract_schema,
    params_models,
    schema_text,
    sent_models,
)
from multicodex.protocol_doc import generated_blocks, update_document
from multicodex.protocol_doc import main as protocol_doc_main

ROOT = Path(__file__).resolve().parents[1]
DOC_PATH = ROOT / "protocol.md"
SCHEMA_PATH = ROOT / "protocol.schema.json"
DOC = DOC_PATH.read_text(encoding="utf-8")

EXAMPLE = re.compile(
    r"<!-- example: (?P<target>\S+) (?P<kind>\S+) -->\n```json\n(?P<body>.*?)\n```", re.DOTALL
)
NAME_HEADING = re.compile(r"^### `(multicodex/[^`]+)`$", re.MULTILINE)
STANDARD_CODES = {-32601, -32602, -32603, -32800}
LSP_TAKEN_CODES = {-32000, -32001, -32002}


def _examples() -> list[tuple[str, str, Any]]:
    return [(m["target"], m["kind"], json.loads(m["body"])) for m in EXAMPLE.finditer(DOC)]


EXAMPLES = _examples()
MODELS_BY_NAME: dict[str, type[BaseModel]] = {
    model.__name__: model for model in (*params_models(), *sent_models())
}


def _example_id(example: tuple[str, str, Any]) -> str:
    return f"{example[0]} {example[1]}"


def _anchor(heading: str) -> str:
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


def _round_trip(model: type[BaseModel], body: Any) -> Any:
    """Validate as the JSON the other side would receive, then serialise again."""
    return model.model_validate_json(json.dumps(body)).model_dump(mode="json")


# ------------------------------------------------------------------- names and tables


def test_every_name_is_namespaced_and_used_once() -> None:
    names = [m.value for m in Method] + [n.value for n in Notification]
    assert all(name.startswith(NAMESPACE) for name in names)
    assert len(names) == len(set(names))


def test_tables_cover_exactly_the_enums() -> None:
    assert set(METHODS) == set(Method)
    assert set(NOTIFICATIONS) == set(Notification)
    assert set(ERROR_DATA) == set(ErrorCode)


def test_domain_error_codes_stay_in_the_server_range_clear_of_lsp() -> None:
    values = [code.value for code in ErrorCode]
    assert len(values) == len(set(values))
    for value in set(values) - STANDARD_CODES:
        assert -32099 <= value <= -32000
        assert value not in LSP_TAKEN_CODES


def test_method_errors_are_domain_errors_not_repeats_of_the_common_ones() -> None:
    for spec in METHODS.values():
        assert not set(spec.errors) & set(COMMON_ERRORS)
        assert ErrorCode.METHOD_NOT_FOUND not in spec.errors


# ------------------------------------------------------------------------ the document


def test_every_method_and_notification_has_a_section_and_no_other_section_exists() -> None:
    headings = NAME_HEADING.findall(DOC)
    assert len(headings) == len(set(headings))
    assert set(headings) == {m.value for m in Method} | {n.value for n in Notification}


def test_every_method_and_notification_has_its_generated_tables() -> None:
    blocks = generated_blocks(DOC)
    assert {arg for kind, arg in blocks if kind == "method"} == {m.value for m in Method}
    assert {arg for kind, arg in blocks if kind == "notification"} == {
        n.value for n in Notification
    }
    assert ("method-table", None) in blocks
    assert ("error-table", None) in blocks


def test_every_method_has_params_and_result_examples() -> None:
    found = {(target, kind) for target, kind, _ in EXAMPLES}
    for method in Method:
        assert (method.value, "params") in found, method
        assert (method.value, "result") in found, method
    for notification in Notification:
        assert (notification.value, "notification") in found, notification


def test_every_error_code_has_an_example() -> None:
    found = {kind for target, kind, _ in EXAMPLES if target == "error"}
    assert found == {code.name for code in ErrorCode}


def test_examples_only_name_known_targets() -> None:
    methods = {m.value for m in Method}
    notifications = {n.value for n in Notification}
    for target, kind, _ in EXAMPLES:
        if target == "error":
            assert kind in ErrorCode.__members__
        elif target == "model":
            assert kind in MODELS_BY_NAME
        elif target in methods:
            assert kind in ("params", "result")
        else:
            assert target in notifications and kind == "notification"


@pytest.mark.parametrize("example", EXAMPLES, ids=_example_id)
def test_example_validates_against_its_model(example: tuple[str, str, Any]) -> None:
    target, kind, body = example
    if target == "error":
        _check_error_example(kind, body)
    elif target == "model":
        _check_model_example(MODELS_BY_NAME[kind], body)
    elif kind == "params":
        METHODS[Method(target)].params.model_validate_json(json.dumps(body))
    elif kind == "result":
        # Results carry every field, so an example must be complete to round-trip.
        assert _round_trip(METHODS[Method(target)].result, body) == body
    else:
        assert _round_trip(NOTIFICATIONS[Notification(target)], body) == body


def _check_error_example(name: str, body: Any) -> None:
    error = ErrorObject.model_validate_json(json.dumps(body))
    assert error.code is ErrorCode[name]
    data_model = ERROR_DATA[error.code]
    if data_model is None:
        assert error.data is None
    else:
        assert _round_trip(data_model, error.data) == error.data


def _check_model_example(model: type[BaseModel], body: Any) -> None:
    if model in params_models():
        model.model_validate_json(json.dumps(body))
    else:
        assert _round_trip(model, body) == body


def test_capabilities_example_lists_every_method_and_notification() -> None:
    (body,) = [b for t, k, b in EXAMPLES if (t, k) == ("model", "ServerCapabilitiesExtension")]
    assert set(body["methods"]) == {m.value for m in Method}
    assert set(body["notifications"]) == {n.value for n in Notification}


def test_generated_tables_are_current() -> None:
    assert update_document(DOC) == DOC, "run: python -m multicodex.protocol_doc"


def test_internal_links_point_at_headings() -> None:
    headings = re.findall(r"^#{1,6} (.+)$", DOC, re.MULTILINE)
    anchors = {_anchor(heading) for heading in headings}
    links = set(re.findall(r"\]\(#([^)]+)\)", DOC))
    assert links, "the document links its sections"
    assert links <= anchors, sorted(links - anchors)


# -------------------------------------------------------------------------- the schema


def test_schema_file_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_text(), (
        "run: python -m multicodex.protocol_doc"
    )


def test_schema_command_prints_the_schema_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert protocol.main(["--schema"]) == 0
    assert capsys.readouterr().out == SCHEMA_PATH.read_text(encoding="utf-8")


def test_schema_lists_every_method_notification_and_error() -> None:
    schema = contract_schema()
    assert set(schema["methods"]) == {m.value for m in Method}
    assert set(schema["notifications"]) == {n.value for n in Notification}
    assert {entry["code"] for entry in schema["errors"].values()} == {c.value for c in ErrorCode}


def test_every_model_and_field_in_the_schema_is_described() -> None:
    missing = []
    for name, definition in contract_schema()["$defs"].items():
        if not definition.get("description", "").strip():
            missing.append(name)
        for field, prop in definition.get("properties", {}).items():
            if not prop.get("description", "").strip():
                missing.append(f"{name}.{field}")
    assert missing == []


def test_every_schema_model_is_documented() -> None:
    blocks = generated_blocks(DOC)
    documented = {arg for kind, arg in blocks if kind == "model"}
    for kind, arg in blocks:
        if kind == "method" and arg is not None:
            spec = METHODS[Method(arg)]
            documented |= {spec.params.__name__, spec.result.__name__}
        elif kind == "notification" and arg is not None:
            documented.add(NOTIFICATIONS[Notification(arg)].__name__)
    assert set(contract_schema()["$defs"]) <= documented


def test_doc_tool_reports_and_repairs_stale_files(tmp_path: Path) -> None:
    doc = tmp_path / "protocol.md"
    schema = tmp_path / "protocol.schema.json"
    stale_block = "<!-- generated: model AccountRef -->\nold table\n<!-- /generated -->\n"
    doc.write_text(stale_block, encoding="utf-8")
    schema.write_text("{}\n", encoding="utf-8")
    args = ["--doc", str(doc), "--schema", str(schema)]

    assert protocol_doc_main([*args, "--check"]) == 1
    assert protocol_doc_main(args) == 0
    assert protocol_doc_main([*args, "--check"]) == 0
    assert "old table" not in doc.read_text(encoding="utf-8")
    assert "| `display_name` |" in doc.read_text(encoding="utf-8")
    assert schema.read_text(encoding="utf-8") == schema_text()


# ---------------------------------------------------------------------- params models


def _params_example(method: Method) -> dict[str, Any]:
    (body,) = [b for t, k, b in EXAMPLES if (t, k) == (method.value, "params")]
    assert isinstance(body, dict)
    return body


@pytest.mark.parametrize("method", list(Method), ids=str)
def test_params_reject_an_unknown_field_by_name(method: Method) -> None:
    params = {**_params_example(method), "no_such_field": 1}
    with pytest.raises(ValidationError) as caught:
        METHODS[method].params.model_validate(params)
    assert [error["loc"] for error in caught.value.errors()] == [("no_such_field",)]


def test_initialization_options_default_everything_and_reject_unknown_fields() -> None:
    options = InitializationOptions.model_validate({})
    assert options.log_level == "warning"
    assert options.footer is None and options.rotation is None
    with pytest.raises(ValidationError) as caught:
        InitializationOptions.model_validate({"footer": {"usage_mod": "used"}})
    assert caught.value.errors()[0]["loc"] == ("footer", "usage_mod")


def test_missing_required_field_is_named() -> None:
    with pytest.raises(ValidationError) as caught:
        CompleteParams.model_validate({"model": "gpt-5.5", "prompt": "hi"})
    assert [error["loc"] for error in caught.value.errors()] == [("stream_id",)]


@pytest.mark.parametrize(
    "extra",
    [{}, {"prompt": "hi", "input": [{"type": "message", "role": "user", "content": []}]}],
    ids=["neither", "both"],
)
def test_complete_needs_exactly_one_of_input_or_prompt(extra: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="exactly one of 'input' or 'prompt'"):
        CompleteParams.model_validate({"stream_id": "s", "model": "gpt-5.5", **extra})


def test_patch_params_leave_unset_fields_null() -> None:
    spec = METHODS[Method.FOOTER_SET]
    patch = spec.params.model_validate({"usage_mode": "used"})
    assert patch.model_dump(exclude_none=True) == {"usage_mode": "used", "persist": True}
