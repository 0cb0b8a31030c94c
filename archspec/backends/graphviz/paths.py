"""Spec files as diagrams name them: relative to the spec's folder, a shipped library as archspec/library/...,
never an absolute path (a diagram is shared; the folders of the machine that drew it are nobody's business).

The IR names files as they were opened (`/home/me/specs/wrn.yaml:33:5` when the spec was given by an absolute
path); `relative_paths` rewrites every such name in a finished diagram's source, tooltips and labels alike."""
from __future__ import annotations

import os
import re
from pathlib import Path

import graphviz
import networkx as nx

from ...ir.scopes import scope_tree

PACKAGE = Path(__file__).resolve().parents[2]  # the archspec package: its shipped libraries are archspec/library/
LOCATION = re.compile(r"^(.*):\d+:\d+$")


def _file_of(loc: str) -> str | None:
    match = LOCATION.match(loc or "")
    return match.group(1) if match else None


def spec_files(graph: nx.DiGraph, spec=None) -> set[str]:
    """Every file a location in the graph (or the spec's block definitions) names."""
    files = {graph.graph.get("file") or ""}
    for _, data in graph.nodes(data=True):
        files.add(_file_of((data.get("src") or {}).get("loc", "")) or "")
    files.update(_file_of(scope.loc) or "" for scope in scope_tree(graph).scopes())
    for block in (getattr(spec, "blocks", None) or {}).values():
        files.add(getattr(block.doc, "file", "") or "")
    return {f for f in files if f}


def display_path(file: str, base: Path) -> str:
    """file relative to base (the spec's folder); a file of the archspec package as archspec/...; another
    file relative to base too (with ..), never absolute."""
    path = Path(os.path.abspath(file))
    for root, prefix in ((base, ""), (PACKAGE, "archspec/")):
        try:
            return prefix + path.relative_to(root).as_posix()
        except ValueError:
            pass
    return Path(os.path.relpath(path, base)).as_posix()


def relative_paths(dot: graphviz.Digraph, graph: nx.DiGraph, spec=None) -> graphviz.Digraph:
    """Rewrite every file name of the graph's locations in dot's statements as display_path gives it."""
    base = Path(os.path.abspath(graph.graph.get("file") or ".")).parent
    names = {f: display_path(f, base) for f in spec_files(graph, spec)}
    names = {f: shown for f, shown in names.items() if f != shown}
    if not names:
        return dot
    pattern = re.compile(r"(?<![\w/.\-])(" + "|".join(re.escape(f) for f in sorted(names, key=len, reverse=True))
                         + r")(?=[:\s\"),]|\\n|$)")
    dot.body[:] = [pattern.sub(lambda m: names[m.group(1)], line) for line in dot.body]
    return dot
