"""The words of the block level: item labels in the papers' notation (one label for every use of a block
type, widths that differ written `128/160/192`), the activation every conv is assumed to end in, the titles
of block clusters and the names of their uses."""
from __future__ import annotations

from collections import Counter

import networkx as nx

from ...analysis.shape_text import diagram_shape
from ...analysis.structure import BlockType, conv_unit
from ...ir.scopes import Scope, scope_tree
from .labels import act_text, conv_text, op_category, op_text


def default_act(graph: nx.DiGraph) -> str | None:
    """The activation most conv units end in (None: most end in none): the block level leaves it unwritten
    and marks a conv without activation 'Linear', as the papers do; with None, every activation is written."""
    units = {conv_unit(graph, n) for n in graph.nodes if graph.nodes[n]["op"] == "conv2d"} - {None}
    acts = Counter(graph.nodes[f"{u}.act"]["attrs"]["fn"] if f"{u}.act" in graph else None for u in sorted(units))
    return acts.most_common(1)[0][0] if acts else None


def act_note(act: str | None) -> list[str]:
    """The legend's note on activations under default_act."""
    return [f"a conv ends in {act_text(act)} unless marked (Linear: none)"] if act else []


def item_label(graph: nx.DiGraph, item: str, members: list[str], act_default: str | None) -> tuple[str, str]:
    """(label text, category) of a diagram item: '1x7 conv, 224', '3x3 MaxPool /2 V', 'Filter concat', ..."""
    conv = next((m for m in members if graph.nodes[m]["op"] == "conv2d"), None)
    if conv is None or len(members) == 1 and item == conv:
        data = graph.nodes[members[0]]
        return op_text(data), op_category(data["op"])
    act = next((graph.nodes[m]["attrs"]["fn"] for m in members if graph.nodes[m]["op"] == "act"), None)
    text = conv_text(graph.nodes[conv]["attrs"], linear=act_default is not None and act is None)
    if act is not None and act != act_default:
        text += f", {act_text(act)}"
    return text, "conv"


def in_use(name: str, bt: BlockType, use: str) -> str:
    """The node (or item) of another use of a block type that corresponds to name in its first use."""
    return use + name[len(bt.first):]


def merged(texts: list[str]) -> str:
    """One text for the uses of a block type: parts (split at ', ') that differ joined by '/', in order of
    first appearance ('1x7 conv, 128/160/192'); texts with different numbers of parts: the first."""
    texts = list(dict.fromkeys(texts))
    split = [t.split(", ") for t in texts]
    if len(texts) == 1 or len({len(parts) for parts in split}) > 1:
        return texts[0]
    return ", ".join("/".join(dict.fromkeys(column)) for column in zip(*split))


def item_text(graph: nx.DiGraph, bt: BlockType, item: str, members: list[str], act_default: str | None,
              shapes: bool) -> tuple[str, str, str]:
    """(label, category, output shape or '') of an item over every use of its block type."""
    uses = bt.uses if bt.widths_vary else [bt.first]
    labels = [item_label(graph, in_use(item, bt, u), [in_use(m, bt, u) for m in members], act_default)[0]
              for u in uses]
    category = item_label(graph, item, members, act_default)[1]
    shape = merged([diagram_shape(graph.nodes[in_use(members[-1], bt, u)]["meta"]["shape"]) for u in uses]) \
        if shapes else ""
    return merged(labels), category, shape


def index_range(indices: list[str]) -> str | None:
    """'1-3' for the indices '1', '2', '3' (consecutive whole numbers, at least two), else None."""
    if len(indices) < 2 or not all(i.isdigit() for i in indices):
        return None
    numbers = [int(i) for i in indices]
    return f"{numbers[0]}-{numbers[-1]}" if numbers == list(range(numbers[0], numbers[-1] + 1)) else None


def _range(scope: Scope, names: list[str]) -> str:
    """'stage1.blocks.1-3' for consecutive repeats 1, 2, 3 of a group; else the names joined."""
    span = index_range([scope.relative(n) for n in names]) if len(names) > 2 else None
    return f"{scope.path}.{span}" if span else ", ".join(names)


def uses_text(graph: nx.DiGraph, uses: list[str], limit: int = 4) -> str:
    """'mixed_5b, mixed_5c', 'block35 x10' (a repeat group whose every repeat is listed) or
    'stage1.blocks.1-3, stage2.blocks.1-3' (consecutive repeats of a group)."""
    tree = scope_tree(graph)
    groups: dict[str, list[str]] = {}
    for use in uses:
        groups.setdefault(tree[use].parent.path, []).append(use)
    parts: list[str] = []
    for path, listed in groups.items():
        group = tree[path]
        if group.kind == "repeat" and len(listed) == len(group.children) > 1:
            parts.append(f"{group.path} x{group.count}")
        elif group.kind == "repeat":
            parts.append(_range(group, listed))
        else:
            parts.extend(listed)
    return ", ".join(parts[:limit]) + (", …" if len(parts) > limit else "")


def display(graph: nx.DiGraph, bt: BlockType) -> str:
    """The name a block type is shown by: its `label:` at its first use, else the block's name."""
    return scope_tree(graph)[bt.first].display or bt.key


def block_title(graph: nx.DiGraph, bt: BlockType) -> tuple[str, str]:
    """(title, note) of a block type's cluster: 'Inception-A x4' for the uses of one whole repeat group,
    'stem' for one use of that name, else the name with where it is used: 'block8 (block8_last)',
    'inception_c (mixed_6b, mixed_6c, …)'; the note says how uses that differ in width are drawn."""
    name, tree = display(graph, bt), scope_tree(graph)
    if tree[bt.first].kind == "composite":
        return f"{bt.first} ({bt.key})", ""
    text = uses_text(graph, bt.uses)
    group = tree[bt.first].parent
    whole = group.kind == "repeat" and text == f"{group.path} x{group.count}"
    if whole and group.path == bt.key:
        title = f"{name} x{group.count}"
    elif len(bt.uses) == 1 and text == bt.key:
        title = name
    else:
        title = f"{name} ({text})"
    note = "uses differ in width: a/b/c lists each use's value" if bt.widths_vary else ""
    return title, note
