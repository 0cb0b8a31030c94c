"""The package layout: one-way dependencies between stages, no import cycles (imports inside
functions included), no module over 400 lines. docs/architecture.md states the same rule."""
from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "archspec"
MAX_LINES = 400

# Which stage may import which (besides itself, `archspec.errors`, `archspec.limits` and
# `archspec.collector`, which every stage may use).
# Data flows source -> language -> expand -> ir <- ops; analysis and backends read ir (and ops);
# the inference optimization passes (optimization) read ir and ops and feed backends;
# the pipeline runs the stages; cli and the package's API sit on top. `atomic` (how files are written)
# depends on nothing; the writers (backends' checkpoints, cli's artifacts) use it.
ALLOWED = {
    "errors": set(),
    "limits": set(),
    "collector": set(),
    "atomic": set(),
    "source": set(),
    "language": {"source", "ops"},
    "ops": {"language"},
    "ir": {"ops"},
    "expand": {"source", "language", "ops", "ir"},
    "analysis": {"ir", "ops", "language", "source"},
    "pipeline": {"source", "language", "expand", "ir", "analysis", "ops"},
    "optimization": {"ir", "ops", "analysis"},
    "backends": {"ir", "ops", "analysis", "atomic", "optimization"},
    "interop": {"backends"},
    "sweeps": {"pipeline", "expand", "language", "source"},
    "registry": {"pipeline"},
    "exports": {"backends", "ir", "ops", "atomic"},
    "cli": {"pipeline", "analysis", "backends", "ir", "ops", "language", "source", "interop", "__init__", "atomic",
            "sweeps", "optimization", "registry", "exports"},
    "__init__": {"pipeline", "analysis", "backends", "ops", "interop", "language", "sweeps", "registry", "exports"},
    "__main__": {"cli"},
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every archspec module this file imports, at any depth (functions included)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.startswith("archspec"):
                found.add(target)
                found |= {f"{target}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("archspec")}
    return found


def _graph() -> nx.DiGraph:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in files.items():
        graph.add_node(name)
        for target in _imports(path):
            if target in files and target != name:
                graph.add_edge(name, target)
    return graph


def _stage(module: str) -> str:
    parts = module.split(".")
    return "__init__" if len(parts) == 1 else parts[1]


def test_no_import_cycles():
    graph = _graph()
    # a package's __init__ re-exporting its own modules is not a cycle between stages
    graph.remove_edges_from([(a, b) for a, b in list(graph.edges) if b.startswith(a + ".")])
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c + [c[0]]) for c in cycles[:5])


def test_stages_depend_one_way():
    bad = []
    for a, b in _graph().edges:
        sa, sb = _stage(a), _stage(b)
        if sa != sb and sb not in ("errors", "limits", "collector") and sb not in ALLOWED.get(sa, set()):
            bad.append(f"{a} imports {b} ({sa} -> {sb})")
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_modules_stay_small(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_the_front_end_depends_one_way():
    """Parsing and checking never reach into expansion; expansion never reaches the composites it is
    handed or the pipeline that runs it."""
    graph = _graph()
    later = {"archspec.expand.composites", "archspec.expand.residual", "archspec.pipeline"}
    for module in ("archspec.language.syntax", "archspec.language.parse", "archspec.language.checks",
                   "archspec.expand.expander"):
        assert not (nx.descendants(graph, module) & later), module
