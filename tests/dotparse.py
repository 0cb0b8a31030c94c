"""A small reader for the DOT text the graphviz package writes (one statement per line), for tests."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape

TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|->|[\[\]{}=;]|[^\s\[\]{}=;"<]+|<')


def _tokens(line: str) -> list[str]:
    out, i = [], 0
    while i < len(line):
        if line[i].isspace():
            i += 1
            continue
        if line[i] == "<":  # an HTML-like string: balanced angle brackets
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(line[j], 0)
                j += 1
                if depth == 0:
                    break
            out.append(line[i:j])
            i = j
            continue
        match = TOKEN.match(line, i)
        out.append(match.group(0))
        i = match.end()
    return out


def _value(token: str) -> str:
    if token.startswith('"'):
        return token[1:-1].replace('\\"', '"')
    return token


def _attrs(tokens: list[str]) -> dict[str, str]:
    """key=value pairs, brackets skipped."""
    tokens = [t for t in tokens if t not in ("[", "]")]
    return {_value(tokens[i]): _value(tokens[i + 2]) for i in range(0, len(tokens) - 2, 3)}


def text_of(label: str) -> str:
    """The visible text of a label: HTML tags dropped, <br/> and table rows as lines, entities decoded."""
    if label.startswith("<") and label.endswith(">"):
        label = re.sub(r"<br[^>]*>|</tr>", "\n", label[1:-1])
        label = unescape(re.sub(r"<[^>]+>", "", label)).strip("\n")
    return label.replace("\\n", "\n")


@dataclass
class Dot:
    graph: dict[str, str] = field(default_factory=dict)
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    clusters: dict[str, dict] = field(default_factory=dict)  # name -> {"parent", "attrs", "nodes"}
    cluster_of: dict[str, str | None] = field(default_factory=dict)  # node -> innermost cluster

    def label(self, node: str) -> str:
        return text_of(self.nodes[node].get("label", node))


def parse(source: str) -> Dot:
    dot = Dot()
    stack: list[str | None] = []  # open subgraphs: cluster name, or None for others
    for line in source.splitlines():
        tokens = _tokens(line)
        if not tokens:
            continue
        if tokens[-1] == "{":
            name = _value(tokens[1]) if tokens[0] == "subgraph" and len(tokens) > 2 else None
            if tokens[0] == "digraph":
                stack.append(None)
                continue
            if name and name.startswith("cluster"):
                parent = next((c for c in reversed(stack) if c), None)
                dot.clusters[name] = {"parent": parent, "attrs": {}, "nodes": []}
            stack.append(name if name and name.startswith("cluster") else None)
            continue
        if tokens == ["}"]:
            stack.pop()
            continue
        cluster = next((c for c in reversed(stack) if c), None)
        if tokens[0] in ("graph", "node", "edge") and len(tokens) > 1 and tokens[1] == "[":
            if tokens[0] == "graph" and len(stack) == 1:
                dot.graph.update(_attrs(tokens[1:]))
            continue
        if len(tokens) > 1 and tokens[1] == "=":  # attribute statements of a subgraph
            if cluster is not None and stack[-1] == cluster:
                dot.clusters[cluster]["attrs"].update(_attrs(tokens))
            elif len(stack) == 1:
                dot.graph.update(_attrs(tokens))
            continue
        if len(tokens) > 2 and tokens[1] == "->":
            dot.edges.append((_value(tokens[0]), _value(tokens[2]), _attrs(tokens[3:])))
            continue
        node = _value(tokens[0])
        if node not in dot.nodes:
            dot.nodes[node] = _attrs(tokens[1:])
            dot.cluster_of[node] = cluster
            if cluster is not None:
                dot.clusters[cluster]["nodes"].append(node)
    return dot
