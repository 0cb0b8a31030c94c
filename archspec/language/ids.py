"""Checking ids and references (`id:`, `from:`, `inputs:`, `outputs:`) by names, before expansion.

Ids belong to one block body (or to the network and its head together): every item of it, however
deeply nested, can read an id given by an item before it. The table walks along with the checker
(archspec.language.checks), which asks it about each item's `from:` before the item and tells it the
item's `id:` after, so a reference to an id written later (which could close a cycle) is refused.
"""
from __future__ import annotations

from typing import Callable

from ..errors import Path, did_you_mean, listing
from .syntax import BlockUse, items_in, Merge, Node, Ref, Seq, Split

Report = Callable[..., None]  # (path, message, hint=None)


class IdTable:
    """The ids of one block body (or of network + head): all of them, and those given so far."""

    def __init__(self, lists: list[Seq | None], inputs: tuple[str, ...], blocks: dict, report: Report):
        self.report, self.blocks, self.inputs = report, blocks, inputs
        self.definers: dict[str, list[Node]] = {}
        for seq in lists:
            for node in items_in(seq):
                if node.mods.id is not None:
                    self.definers.setdefault(node.mods.id, []).append(node)
        self.given: set[str] = {"input", *inputs}
        self._done: set[int] = set()
        self._defined: dict[str, bool] = {}  # id -> whether every item given it so far is without `when:`
        self._parts: dict[str, list] = {}  # id -> the distinct part lists of the items that give it
        self._known = ("input", *self.inputs, *self.definers)

    def known(self) -> tuple[str, ...]:
        return self._known

    # ------------------------------------------------------------------ before an item: its `from:`
    def check_refs(self, node: Node) -> None:
        refs = node.mods.refs
        if refs is None:
            return
        for ref in refs:
            self._check_ref(ref)
        count = None if any(r.every for r in refs) else len(refs)
        wanted = self._inputs_wanted(node)
        if wanted is None:
            return
        if wanted == 1 and (count is None or count > 1):
            self.report(node.path + ("from",), f"'{node.key}' reads one tensor, `from:` gives "
                                               f"{'a list' if count is None else count}",
                        "a list is read by a merge without branches (`{concat, from: [a, b]}`) or a block "
                        "that declares `inputs:`")
        elif wanted > 1 and count is not None and count != wanted:
            self.report(node.path + ("from",), f"block '{node.key}' takes {wanted} tensors, `from:` gives {count}")

    def _inputs_wanted(self, node: Node) -> int | None:
        """How many tensors the item reads: None for any number (a merge without branches, a `$param`)."""
        if isinstance(node, Merge) and not node.branches:
            return None
        if isinstance(node, BlockUse):
            if node.param is not None:
                return None
            block = self.blocks.get(node.key)
            return None if block is None else max(1, len(block.definition.inputs))
        return 1

    def _check_ref(self, ref) -> None:
        name = ref.id
        if ref.every and (name == "input" or name in self.inputs):
            self.report(ref.path, f"'{ref.text}': an input is one tensor, given once", f"write `{name}`")
            return
        if name not in self.definers and name not in self.given:
            self.report(ref.path, f"unknown id '{name}'", did_you_mean(name, self.known())
                        or (f"ids here: {listing(self.known())}" if self.known() else None))
            return
        if name not in self.given and not ref.every:
            first = self.definers[name][0]
            self.report(ref.path, f"'{name}' is given by an item after this one (at {first.path[-1]!r} of its "
                                  "list); an item can only read what comes before it")
            return
        for parts in self.parts(name):
            self._check_part(ref, parts)

    def parts(self, name: str) -> list:
        """The distinct part lists (see _parts_of) of the items giving id `name` (made once per id, so that
        many items sharing an id, read many times, stay linear)."""
        found = self._parts.get(name)
        if found is None:
            found = self._parts[name] = []
            for definer in self.definers.get(name, []):
                parts = self._parts_of(definer)
                if parts is not None and parts not in found:  # None: unknown until expanded
                    found.append(parts)
                    if len(found) > 2:  # enough to report with; the rest add nothing
                        break
        return found

    def _check_part(self, ref, parts: list[str]) -> None:
        if ref.part is None and parts:
            self.report(ref.path, f"'{ref.id}' gives several tensors ({listing(parts)})",
                        f"read one of them: `{ref.id}.{parts[0]}`")
        elif ref.part is not None and not parts:
            self.report(ref.path, f"'{ref.id}' gives one tensor and has no part '{ref.part}'",
                        f"read it as `{ref.id}`")
        elif ref.part is not None and ref.part not in parts:
            self.report(ref.path, f"'{ref.id}' has no part '{ref.part}'; its parts are {listing(parts)}",
                        did_you_mean(ref.part, parts))

    def _parts_of(self, definer: Node) -> list[str] | None:
        """The part names an item gives ([] for one tensor), None when known only with values."""
        if isinstance(definer, Split):
            sizes = definer.sizes.value
            if isinstance(sizes, list):
                return [str(i) for i in range(len(sizes))]
            return [str(i) for i in range(sizes)] if isinstance(sizes, int) and 2 <= sizes <= 4096 else None
        if isinstance(definer, BlockUse):
            block = self.blocks.get(definer.key) if definer.param is None else None
            if block is None:
                return None
            outputs = block.definition.outputs
            return list(outputs) if len(outputs) > 1 else []
        return []

    # ------------------------------------------------------------------ after an item: its `id:`
    def define(self, node: Node) -> None:
        name = node.mods.id
        if name is None or id(node) in self._done:
            return
        self._done.add(id(node))
        if name in self.inputs:
            self.report(node.path + ("id",), f"'{name}' is the name of one of the block's inputs")
        earlier = self._defined.get(name)  # None: no item has given it yet
        if earlier and node.mods.when is None:
            self.report(node.path + ("id",), f"the id '{name}' is given twice",
                        "give each item its own id (items with `when:` may share one)")
        self._defined[name] = (earlier is None or earlier) and node.mods.when is None
        self.given.add(name)

    # ------------------------------------------------------------------ outputs lists
    def check_outputs(self, outputs: list[str], base: Path) -> None:
        """An `outputs:` list: ids given in this body (or parts of them, `neck.p3`), each listed once."""
        seen: set[str] = set()
        for i, text in enumerate(outputs):
            name, _, part = text.partition(".")
            if text in seen:
                self.report(base + (i,), f"'{text}' is listed twice")
            elif name not in self.definers and name not in self.given:
                self.report(base + (i,), f"unknown id '{name}'", did_you_mean(name, self.known()))
            else:
                ref = Ref(name, part or None, False, base + (i,))
                for parts in self.parts(name):
                    self._check_part(ref, parts)
            seen.add(text)

