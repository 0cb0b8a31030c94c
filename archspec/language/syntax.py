"""The syntax tree of spec items: what the parser (archspec.language.parse) makes of every list of items.

Every node knows where it was written: `path` is the item's key path in its file, `key_path` the
path of its key's value (where its arguments are written). Arguments are normalised to the mapping
form (shorthand and bare scalars are gone) and each keeps the path it was written at. The tree holds
no values: expressions stay text until expansion evaluates them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..errors import Path


@dataclass(frozen=True)
class Arg:
    """An argument as written (a literal or an expression's text) and where."""

    value: Any
    path: Path


@dataclass(frozen=True)
class Ref:
    """A reference to a tensor in `from:`: `id`, `id.part`, `id*` (every binding so far) or `input`."""

    id: str
    part: Optional[str]
    every: bool
    path: Path

    @property
    def text(self) -> str:
        return self.id + (f".{self.part}" if self.part is not None else "") + ("*" if self.every else "")


@dataclass
class Modifiers:
    """name, repeat (or the `xN` suffix), first, last, when, id and from of one item. `refs` is
    None without `from:`; `refs_list` says whether `from:` was written as a list."""

    name: Optional[str] = None
    repeat: Optional[Arg] = None
    first: Optional[dict[str, Arg]] = None
    last: Optional[dict[str, Arg]] = None
    when: Optional[Arg] = None
    id: Optional[str] = None
    refs: Optional[tuple[Ref, ...]] = None
    refs_list: bool = False


@dataclass
class Node:
    """An item. `key` is what it is named after by default (op, block, `$param` or composite key)."""

    key: str
    path: Path
    key_path: Path
    mods: Modifiers = field(default_factory=Modifiers)

    @property
    def kind(self) -> str:
        """'primitive', 'block' or 'composite'."""
        return "composite"


@dataclass
class OpItem(Node):
    """A primitive op with its arguments in mapping form."""

    args: dict[str, Arg] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "primitive"


@dataclass
class BlockUse(Node):
    """A use of a named block, or of the block a `$param` parameter holds (`param` is then its name)."""

    args: dict[str, Arg] = field(default_factory=dict)
    param: Optional[str] = None
    given: Any = None  # the arguments as written, for the message when they are not a mapping

    @property
    def kind(self) -> str:
        return "block"

    @property
    def default_name(self) -> str:
        return self.param or self.key


@dataclass
class Seq(Node):
    """A list of items; `numbered` for a bare nested list, whose items are named 0, 1, ... (naming rule 2)."""

    items: list[Node] = field(default_factory=list)
    numbered: bool = False


@dataclass
class Branch:
    """One branch of concat/add/mul: its name (`branchI` or its `name:`) and its item (None if broken)."""

    label: str
    item: Optional[Node]
    path: Path


@dataclass
class Merge(Node):
    """concat, add or mul (the key) of parallel branches; without branches, of the tensors its `from:`
    list names."""

    branches: list[Branch] = field(default_factory=list)


@dataclass
class Residual(Node):
    """residual: `options` is the mapping as written (validated by ResidualArgs); the item lists are parsed."""

    options: dict = field(default_factory=dict)
    body: Optional[Seq] = None
    preact: Optional[Seq] = None
    shortcut: Optional[Seq] = None  # a list of items; 'auto'/'identity' stay in options


@dataclass
class Aux(Node):
    """aux: a side output computed by `body`; `options` as written (validated by AuxArgs)."""

    options: dict = field(default_factory=dict)
    body: Optional[Seq] = None


@dataclass
class Loop(Node):
    """for: `do` once per element; `options` as written (each, in, index; validated by ForArgs)."""

    options: dict = field(default_factory=dict)
    do: Optional[Seq] = None


@dataclass
class Split(Node):
    """split: a map cut along its channels, into parts of the sizes given (a list) or into N equal parts."""

    sizes: Optional[Arg] = None


def items_in(seq: Seq | None) -> list[Node]:
    """Every item of a list, the items nested in its composites included, in order."""
    out: list[Node] = []

    def walk(node: Node | None) -> None:
        if node is None:
            return
        out.append(node)
        if isinstance(node, Seq):
            for child in node.items:
                walk(child)
        elif isinstance(node, Merge):
            for branch in node.branches:
                walk(branch.item)
        elif isinstance(node, Residual):
            for part in (node.preact, node.body, node.shortcut):
                walk(part)
        elif isinstance(node, Aux):
            walk(node.body)
        elif isinstance(node, Loop):
            walk(node.do)

    for item in (seq.items if seq is not None else []):
        walk(item)
    return out
