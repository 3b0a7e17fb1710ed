"""The product's layers, read from its source: every import of every module under
server/multicodex, those inside functions included, and each one's line.

The layers are the packages and modules directly under multicodex (store, codex, pool,
app, cli, ...). Data flows one way between them, the store never talks HTTP, the protocol
is plain data, and the emulator (a package of its own, an optional extra) is loaded only
by the two commands that run it.
"""

from __future__ import annotations

import ast
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from support.unimportable import Unimportable

SOURCE = Path(__file__).resolve().parents[1] / "server"
PRODUCT = "multicodex"
EMULATOR = "multicodex_emulator"
LOADS_THE_EMULATOR = {"multicodex.cli", "multicodex.cli_commands.demo"}
"""`multicodex emulator` and `multicodex demo`: each imports it inside the command."""


@dataclass(frozen=True)
class Import:
    importer: str
    line: int
    imported: str
    type_only: bool
    """Under ``if TYPE_CHECKING:``: never executed, still a dependency of the design."""

    def __str__(self) -> str:
        kind = " (type checking only)" if self.type_only else ""
        return f"{self.importer}:{self.line} imports {self.imported}{kind}"


# -- reading the source --------------------------------------------------------------------


@cache
def product_modules() -> dict[str, Path]:
    """Every module of the product by dotted name (a package by its ``__init__``)."""
    modules = {}
    for path in sorted((SOURCE / PRODUCT).rglob("*.py")):
        parts = path.relative_to(SOURCE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


@cache
def imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for module, path in product_modules().items():
        tree = ast.parse(path.read_text(), filename=str(path))
        is_package = path.name == "__init__.py"
        found += _ImportCollector(module, is_package, set(product_modules())).collect(tree)
    return tuple(found)


class _ImportCollector(ast.NodeVisitor):
    def __init__(self, module: str, is_package: bool, known: set[str]) -> None:
        self.module = module
        self.package = module if is_package else module.rpartition(".")[0]
        self.known = known
        self.found: list[Import] = []
        self.type_only = False

    def collect(self, tree: ast.AST) -> list[Import]:
        self.visit(tree)
        return self.found

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            outer, self.type_only = self.type_only, True
            for child in node.body:
                self.visit(child)
            self.type_only = outer
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node.lineno, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = self._absolute(node.module, node.level)
        for alias in node.names:
            # `from multicodex.cli_commands import demo` imports the module demo.
            submodule = f"{base}.{alias.name}"
            self._add(node.lineno, submodule if submodule in self.known else base)

    def _absolute(self, name: str | None, level: int) -> str:
        if level == 0:
            return name or ""
        package = self.package.split(".")
        anchor = ".".join(package[: len(package) - (level - 1)])
        return f"{anchor}.{name}" if name else anchor

    def _add(self, line: int, imported: str) -> None:
        self.found.append(Import(self.module, line, imported, self.type_only))


def _is_type_checking(test: ast.expr) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "TYPE_CHECKING"
    return isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"


def within(name: str, root: str) -> bool:
    return name == root or name.startswith(f"{root}.")


def layer_of(module: str) -> str | None:
    """``multicodex.store.document`` -> ``store``; None outside the product's layers."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == PRODUCT else None


def imports_between(importer_root: str, imported_root: str) -> list[Import]:
    return [
        i
        for i in imports()
        if within(i.importer, importer_root) and within(i.imported, imported_root)
    ]


# -- the layer graph -----------------------------------------------------------------------


def layer_edges() -> dict[tuple[str, str], list[Import]]:
    edges: dict[tuple[str, str], list[Import]] = {}
    for found in imports():
        source, target = layer_of(found.importer), layer_of(found.imported)
        if source and target and source != target:
            edges.setdefault((source, target), []).append(found)
    return edges


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """One cycle per group of layers that reach each other, as the path that closes it."""
    graph: dict[str, set[str]] = {}
    for source, target in edges:
        graph.setdefault(source, set()).add(target)
        graph.setdefault(target, set())
    found = []
    for component in _strongly_connected(graph):
        if len(component) > 1:
            found.append(_cycle_through(sorted(component)[0], component, graph))
    return found


def _strongly_connected(graph: dict[str, set[str]]) -> Iterator[set[str]]:
    """Kosaraju: a depth-first finishing order, then the reversed graph in reverse."""
    order: list[str] = []
    seen: set[str] = set()
    for start in sorted(graph):
        _finish_order(start, graph, seen, order)
    reverse: dict[str, set[str]] = {node: set() for node in graph}
    for source, targets in graph.items():
        for target in targets:
            reverse[target].add(source)
    assigned: set[str] = set()
    for node in reversed(order):
        if node not in assigned:
            component: list[str] = []
            _finish_order(node, reverse, assigned, component)
            yield set(component)


def _finish_order(start: str, graph: dict[str, set[str]], seen: set[str], out: list[str]) -> None:
    if start in seen:
        return
    seen.add(start)
    stack = [(start, iter(sorted(graph[start])))]
    while stack:
        node, targets = stack[-1]
        following = next((t for t in targets if t not in seen), None)
        if following is None:
            stack.pop()
            out.append(node)
        else:
            seen.add(following)
            stack.append((following, iter(sorted(graph[following]))))


def _cycle_through(start: str, component: set[str], graph: dict[str, set[str]]) -> list[str]:
    """The shortest path from ``start`` back to itself inside ``component`` (breadth first)."""
    paths = [[start]]
    while paths:
        path = paths.pop(0)
        for target in sorted(graph[path[-1]] & component):
            if target == start:
                return [*path, start]
            if target not in path:
                paths.append([*path, target])
    raise AssertionError(f"no cycle through {start}")


def describe(cycle: list[str], edges: dict[tuple[str, str], list[Import]]) -> str:
    steps = itertools.pairwise(cycle)
    return " -> ".join(cycle) + "".join(f"\n    {edges[step][0]}" for step in steps)


# -- the rules -----------------------------------------------------------------------------


def test_the_reader_sees_imports_inside_functions() -> None:
    """The graph would prove nothing if it missed the lazy imports the commands use."""
    lazy = imports_between("multicodex.cli", "multicodex.server")
    assert any(not i.type_only for i in lazy), "multicodex.cli loads the server in main()"


def test_the_reader_resolves_relative_lazy_and_type_only_imports() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import tokens\n"
        "from ..store import schema\n"
        "if TYPE_CHECKING:\n"
        "    from multicodex.codex.client import CodexClient\n"
        "def run() -> None:\n"
        "    import multicodex_emulator.run\n"
    )
    known = {"multicodex.pool.tokens", "multicodex.store.schema"}
    reader = _ImportCollector("multicodex.pool.usage", is_package=False, known=known)

    found = reader.collect(ast.parse(source))

    assert [(i.line, i.imported, i.type_only) for i in found] == [
        (1, "typing", False),
        (2, "multicodex.pool.tokens", False),
        (3, "multicodex.store.schema", False),
        (5, "multicodex.codex.client", True),
        (7, "multicodex_emulator.run", False),
    ]


def test_only_the_demo_and_emulator_commands_import_the_emulator() -> None:
    importers = {i.importer for i in imports() if within(i.imported, EMULATOR)}

    offenders = [str(i) for i in imports() if within(i.imported, EMULATOR)]
    assert importers <= LOADS_THE_EMULATOR, "\n".join(offenders)
    assert importers == LOADS_THE_EMULATOR, "each command loads the emulator itself"


def test_the_layers_form_no_cycle() -> None:
    edges = layer_edges()

    found = cycles(set(edges))

    assert not found, "layers that import each other:\n" + "\n".join(
        describe(cycle, edges) for cycle in found
    )


def test_the_commands_never_import_the_cli_entry_point() -> None:
    """cli -> cli_commands only: the parser the demo runs its commands with is theirs."""
    assert not imports_between("multicodex.cli_commands", "multicodex.cli")


def test_the_store_never_imports_the_codex_client() -> None:
    assert not imports_between("multicodex.store", "multicodex.codex")


def test_the_codex_client_never_imports_the_store() -> None:
    assert not imports_between("multicodex.codex", "multicodex.store")


def test_the_protocol_imports_neither_the_store_nor_the_codex_client() -> None:
    assert not imports_between("multicodex.protocol", "multicodex.store")
    assert not imports_between("multicodex.protocol", "multicodex.codex")


def test_the_cycle_finder_reports_a_cycle_with_its_imports() -> None:
    site = Import("multicodex.b.x", 3, "multicodex.a", type_only=False)
    edges = {("a", "b"): [site], ("b", "a"): [site], ("b", "c"): [site]}

    assert cycles(set(edges)) == [["a", "b", "a"]]
    assert "multicodex.b.x:3 imports multicodex.a" in describe(["a", "b", "a"], edges)


# -- at run time ---------------------------------------------------------------------------


def test_importing_every_product_module_loads_no_emulator(tmp_path: Path) -> None:
    blocked = Unimportable.create(tmp_path, EMULATOR)
    modules = [m for m in product_modules() if not m.endswith("__main__")]
    program = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)"

    completed = subprocess.run(
        [sys.executable, "-c", program, *modules],
        env={**os.environ, "PYTHONPATH": blocked.first_on_path},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert not blocked.attempted(), blocked.where_attempted()
