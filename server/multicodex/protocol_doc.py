"""Keeps protocol.md and protocol.schema.json in step with `multicodex.protocol`.

protocol.md is written by hand except for blocks fenced by
``<!-- generated: KIND [ARG] -->`` and ``<!-- /generated -->``; their content is
rendered from the contract's JSON Schema:

* ``method-table``: every request method with its models and domain errors;
* ``method <name>``: a method's params and result field tables and its errors;
* ``notification <name>``: a notification's params field table;
* ``error-table``: every error code with its data model;
* ``model <Name>``: one model's field table (nested types, error data).

``python -m multicodex.protocol_doc`` rewrites those blocks and the schema file;
``--check`` only reports whether they are current.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from multicodex.protocol import (
    COMMON_ERRORS,
    ERROR_DATA,
    METHODS,
    NOTIFICATIONS,
    ErrorCode,
    Method,
    Notification,
    contract_schema,
    schema_text,
)

BLOCK = re.compile(
    r"(?P<open><!-- generated: (?P<kind>[a-z-]+)(?: (?P<arg>\S+))? -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- /generated -->)",
    re.DOTALL,
)
_REF_PREFIX = "#/$defs/"


def update_document(text: str, schema: Mapping[str, Any] | None = None) -> str:
    """``text`` with every generated block re-rendered from the contract."""
    renderer = _Renderer(contract_schema() if schema is None else schema)

    def replace(match: re.Match[str]) -> str:
        body = renderer.render(match["kind"], match["arg"])
        return f"{match['open']}{body}\n{match['close']}"

    return BLOCK.sub(replace, text)


def generated_blocks(text: str) -> list[tuple[str, str | None]]:
    """(kind, arg) of every generated block in ``text``, in order."""
    return [(m["kind"], m["arg"]) for m in BLOCK.finditer(text)]


def model_name(ref: Mapping[str, Any]) -> str:
    """The $defs name a ``{"$ref": ...}`` points at."""
    return str(ref["$ref"]).removeprefix(_REF_PREFIX)


class _Renderer:
    def __init__(self, schema: Mapping[str, Any]) -> None:
        self._schema = schema
        self._defs: Mapping[str, Any] = schema["$defs"]
        self._kinds: dict[str, Callable[[str | None], str]] = {
            "method-table": self._method_table,
            "method": self._method,
            "notification": self._notification,
            "error-table": self._error_table,
            "model": self._model,
        }

    def render(self, kind: str, arg: str | None) -> str:
        if kind not in self._kinds:
            raise ValueError(f"unknown generated block kind: {kind}")
        return self._kinds[kind](arg)

    def _method_table(self, _arg: str | None) -> str:
        rows = ["| method | params | result | domain errors |", "| --- | --- | --- | --- |"]
        for method, spec in METHODS.items():
            errors = ", ".join(f"`{code.name}`" for code in spec.errors) or "—"
            rows.append(
                f"| [`{method.value}`](#{_anchor(method.value)}) | `{spec.params.__name__}` "
                f"| `{spec.result.__name__}` | {errors} |"
            )
        return "\n".join(rows)

    def _method(self, arg: str | None) -> str:
        spec = METHODS[Method(_required(arg))]
        entry = self._schema["methods"][arg]
        params = self._defs[model_name(entry["params"])]
        parts = [f"**Params** — `{spec.params.__name__}`"]
        if params.get("properties"):
            parts += ["", self._table(params, params_side=True)]
        else:
            parts += ["", "No params: send `{}` (or omit `params`)."]
        parts += ["", f"**Result** — `{spec.result.__name__}`", ""]
        parts.append(self._table(self._defs[model_name(entry["result"])], params_side=False))
        specific = ", ".join(_code_link(code) for code in spec.errors)
        common = ", ".join(_code_link(code) for code in COMMON_ERRORS)
        errors = (
            f"{specific}; and the common errors {common}"
            if specific
            else f"only the common errors {common}"
        )
        parts += ["", f"**Errors** — {errors}."]
        return "\n".join(parts)

    def _notification(self, arg: str | None) -> str:
        model = NOTIFICATIONS[Notification(_required(arg))]
        schema = self._defs[model.__name__]
        return "\n".join(
            [f"**Params** — `{model.__name__}`", "", self._table(schema, params_side=False)]
        )

    def _error_table(self, _arg: str | None) -> str:
        rows = ["| code | name | data | raised by |", "| --- | --- | --- | --- |"]
        for code, model in ERROR_DATA.items():
            data = "—" if model is None else f"[`{model.__name__}`](#{_anchor(model.__name__)})"
            rows.append(f"| {code.value} | `{code.name}` | {data} | {_raised_by(code)} |")
        return "\n".join(rows)

    def _model(self, arg: str | None) -> str:
        name = _required(arg)
        schema = self._defs[name]
        lines = [schema.get("description", "").strip()]
        if schema.get("properties"):
            lines += ["", self._table(schema, params_side=False)]
        elif "enum" in schema:
            lines += ["", "Values: " + ", ".join(f"`{v}`" for v in schema["enum"]) + "."]
        return "\n".join(lines)

    def _table(self, schema: Mapping[str, Any], *, params_side: bool) -> str:
        if params_side:
            rows = ["| field | type | required | description |", "| --- | --- | --- | --- |"]
        else:
            rows = ["| field | type | description |", "| --- | --- | --- |"]
        required = set(schema.get("required", []))
        for field, prop in schema.get("properties", {}).items():
            kind = _cell(_type_of(prop))
            text = _cell(prop.get("description", ""))
            if params_side:
                default = _json(prop.get("default"))
                need = "yes" if field in required else f"no (default `{default}`)"
                rows.append(f"| `{field}` | {kind} | {_cell(need)} | {text} |")
            else:
                rows.append(f"| `{field}` | {kind} | {text} |")
        return "\n".join(rows)


def _type_of(prop: Mapping[str, Any]) -> str:
    if "$ref" in prop:
        name = model_name(prop)
        return f"[{name}](#{_anchor(name)})"
    if "anyOf" in prop:
        return " | ".join(_type_of(option) for option in prop["anyOf"])
    if "enum" in prop:
        return " | ".join(_json(value) for value in prop["enum"])
    if "const" in prop:
        return _json(prop["const"])
    kind = prop.get("type")
    if kind == "array":
        return f"{_type_of(prop.get('items', {}))}[]" + _limits(
            prop, "minItems", "maxItems", " items"
        )
    if kind == "string":
        return "string" + _limits(prop, "minLength", "maxLength", " chars")
    if kind in ("integer", "number"):
        return str(kind) + _bounds(prop)
    if kind == "object" or not prop:
        return "object"
    return str(kind)


def _limits(prop: Mapping[str, Any], low: str, high: str, unit: str) -> str:
    return _range(prop.get(low), prop.get(high), unit)


def _bounds(prop: Mapping[str, Any]) -> str:
    low = prop.get("minimum", prop.get("exclusiveMinimum"))
    high = prop.get("maximum", prop.get("exclusiveMaximum"))
    return _range(low, high, "")


def _range(low: object, high: object, unit: str) -> str:
    if low is not None and high is not None:
        return f" ({low}..{high}{unit})"
    if low is not None:
        return " (non-empty)" if low == 1 and unit else f" (≥ {low}{unit})"
    if high is not None:
        return f" (≤ {high}{unit})"
    return ""


def _raised_by(code: ErrorCode) -> str:
    if code in COMMON_ERRORS:
        return "any request"
    if code is ErrorCode.METHOD_NOT_FOUND:
        return "unknown methods"
    methods = [m.value for m, spec in METHODS.items() if code in spec.errors]
    return ", ".join(f"`{m}`" for m in methods)


def _code_link(code: ErrorCode) -> str:
    return f"`{code.name}` ({code.value})"


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading made of `heading` in backticks."""
    return re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def _required(arg: str | None) -> str:
    if arg is None:
        raise ValueError("this generated block needs an argument")
    return arg


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m multicodex.protocol_doc")
    parser.add_argument("--doc", type=Path, default=Path("protocol.md"))
    parser.add_argument("--schema", type=Path, default=Path("protocol.schema.json"))
    parser.add_argument("--check", action="store_true", help="only report whether current")
    args = parser.parse_args(argv)
    document = args.doc.read_text(encoding="utf-8")
    wanted = {args.doc: update_document(document), args.schema: schema_text()}
    stale = [
        path
        for path, text in wanted.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if args.check:
        for path in stale:
            print(f"{path} is out of date", file=sys.stderr)
        return 1 if stale else 0
    for path in stale:
        path.write_text(wanted[path], encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
