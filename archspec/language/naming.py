"""The naming rule: how items, and so IR nodes and PyTorch modules, get their dotted names.

Each list of items names its items in the scope it lives in (a block use, a repeat instance, a
composite, the network, `head`), in order:

1. an item with `name:` takes that name; one with `id:` (and no `name:`) is named after its id
   (`id_2`, ... where that is taken in the scope);
2. in a bare nested list (`[conv: 1x1 64, conv: 3x3 96]`, e.g. a concat branch) items are numbered
   0, 1, 2, ... as in nn.Sequential;
3. in every other list (network, head, a block's body, residual's preact/body/shortcut, for's do,
   aux's body, seq) an item is named after what it is: a block use after the block (`$param` after
   the parameter), a primitive after its op (`conv`, `dropout`), a composite after its key; the
   second unnamed item of the same kind in the scope is `conv_2`, the third `conv_3`, skipping
   names already taken;
4. the first unnamed, unrepeated composite of each kind in a scope (concat, add, mul, residual,
   for, aux) adds no level: its parts are named in the scope itself (concat branches `branch0`,
   `branch1`, ... and the node `concat`; residual's `preact`, `shortcut`, `add` and its body's
   items; for's iterations `0`, `1`, ...; aux's body items). A later one is a level of its own;
5. a repeated item's instances are numbered under its name (`inception_a.0`, `inception_a.1`);
   a conv item is a unit of nodes `conv`, `bn`, `act`.

Names are claimed in the order items are expanded and depend only on the items before them, so
appending an item never renames an existing one; inserting an item renames only later unnamed
items of the same kind (give them a `name:` to pin them).
"""
from __future__ import annotations

TRANSPARENT = ("concat", "add", "mul", "residual", "for", "aux")


def join(prefix: str, child: str) -> str:
    return f"{prefix}.{child}" if prefix else child


class Namer:
    """The names taken in each scope (a dotted prefix) of one expansion."""

    def __init__(self) -> None:
        self._taken: dict[str, set[str]] = {}
        self._kinds: dict[str, set[str]] = {}
        self._next: dict[tuple[str, str], int] = {}  # (scope, base) -> the k its last claim got: names only
        # accumulate, so base, base_2, ... base_k are all taken and the next claim starts there (linear, not
        # quadratic, in the items of one kind in a scope)

    def take(self, scope: str, name: str) -> bool:
        """Claim exactly `name` in scope; False when it is taken already."""
        taken = self._taken.setdefault(scope, set())
        if name in taken:
            return False
        taken.add(name)
        return True

    def claim(self, scope: str, base: str) -> str:
        """The first free one of base, base_2, base_3, ... in scope, claimed."""
        taken = self._taken.setdefault(scope, set())
        k = self._next.get((scope, base), 1)
        name = base if k == 1 else f"{base}_{k}"
        while name in taken:
            k += 1
            name = f"{base}_{k}"
        taken.add(name)
        if k > 1:  # only where names collide: most claims get their base at once, and cost no entry
            self._next[(scope, base)] = k
        return name

    def part(self, scope: str, base: str) -> str:
        """The full name of a composite's part (`add`, `shortcut`, `branch0`) claimed in scope."""
        return join(scope, self.claim(scope, base))

    def first_of_kind(self, scope: str, key: str) -> bool:
        """True the first time an unnamed composite of kind key asks in scope (it adds no level)."""
        kinds = self._kinds.setdefault(scope, set())
        if key in kinds:
            return False
        kinds.add(key)
        return True


def item_name(namer: Namer, prefix: str, node, numbered: bool) -> tuple[str, bool, bool]:
    """(full name, whether it adds no level (rule 4), False when its `name:` is taken already) of a
    syntax-tree item in the list that names its items in scope `prefix`."""
    if node.mods.name is not None:
        return join(prefix, node.mods.name), False, namer.take(prefix, node.mods.name)
    if node.mods.id is not None:  # named after its id, as a first choice
        return join(prefix, namer.claim(prefix, node.mods.id)), False, True
    if numbered:
        return join(prefix, namer.claim(prefix, str(node.path[-1]))), False, True
    if node.key in TRANSPARENT and node.mods.repeat is None and namer.first_of_kind(prefix, node.key):
        return prefix, True, True
    base = node.default_name if node.kind == "block" else node.key
    return join(prefix, namer.claim(prefix, base)), False, True
