"""The package's modules depend on each other one way: no import cycle, counting imports written
inside functions and under TYPE_CHECKING, which hide a cycle from Python but not from a reader."""
from __future__ import annotations

import ast

import networkx as nx

from .conftest import ROOT


def _imports() -> nx.DiGraph:
    graph = nx.DiGraph()
    package = ROOT / "archspec"
    for file in package.rglob("*.py"):
        parts = file.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        here = parts[:-1]  # the package a relative import starts from
        graph.add_node(module)
        for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = list(here[:len(here) - node.level + 1]) if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                if not target.startswith("archspec"):
                    continue
                if node.module:
                    graph.add_edge(module, target)
                for alias in node.names:  # `from . import language` imports the module language
                    name = f"{target}.{alias.name}"
                    if (ROOT / (name.replace(".", "/") + ".py")).exists() or (ROOT / name.replace(".", "/")).is_dir():
                        graph.add_edge(module, name)
            elif isinstance(node, ast.Import):
                graph.add_edges_from((module, a.name) for a in node.names if a.name.startswith("archspec"))
    return graph


def test_no_module_imports_itself_through_others():
    cycles = list(nx.simple_cycles(_imports()))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_the_front_end_depends_one_way():
    graph = _imports()
    for module in ("archspec.syntax", "archspec.parse", "archspec.checks", "archspec.expand"):
        later = {"archspec.composites", "archspec.residual", "archspec.compiler"}
        assert not (nx.descendants(graph, module) & later), module
