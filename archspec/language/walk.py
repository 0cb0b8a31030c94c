"""What the expander walks with: the tensor value flowing through items, the environment an item
sees, a block definition with its file and parsed body, and `${expr}` interpolation in check messages."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from . import schema as L
from ..errors import Path
from .blockcall import BlockCall
from .params import block_param_names
from .syntax import Seq
from ..source.yamlsource import SourceDoc

BUILTINS = ("in_ch", "in_h", "in_w")  # names describing the tensor that enters a block use


@dataclass(frozen=True)
class Value:
    """A tensor flowing through the walk: the node that produces it and its shape. An item with
    several outputs (a `split`, a block with `outputs:`, a `from:` list) gives a value of named
    `parts` and no node of its own."""

    node: str | None = None
    shape: tuple[int, ...] | None = None
    parts: tuple[tuple[str, "Value"], ...] = ()

    def part(self, name: str) -> "Value | None":
        """The part called name (None if there is none), found in a table made once per value."""
        table = self.__dict__.get("_parts_by_name")
        if table is None:
            table = dict(self.parts)
            object.__setattr__(self, "_parts_by_name", table)
        return table.get(name)

    @property
    def poisoned(self) -> bool:
        """Whether some mistake upstream left this value (or one of its parts) without a node."""
        return any(v.poisoned for _, v in self.parts) if self.parts else self.node is None


POISON = Value()


@dataclass(frozen=True)
class Env:
    """What an item can see: its file, parameter values, block trace."""

    doc: SourceDoc
    scope: dict
    defaults: dict = field(default_factory=dict)  # defaults of the file the items were written in
    block_params: frozenset[str] = frozenset()  # parameters of type block, usable as items `$name`
    trace: tuple[str, ...] = ()
    blocks_in_use: tuple[str, ...] = ()
    block_use: str = ""
    # id -> every value it was bound to so far, in order: shared (not copied) by the envs of one block
    ids: dict = field(default_factory=dict, compare=False, hash=False)
    bound: dict = field(default_factory=dict)  # {parameter: [value, origin, file:line:col, written?]} of this use
    init: tuple = ()  # the `init:` mappings in force, innermost first (archspec.language.init.InitSet)

    def context(self) -> dict:
        """The validation context that evaluates expressions with these values."""
        return {"scope": self.scope}

    def with_input(self, x: Value) -> "Env":
        """Bind the builtins in_ch, in_h, in_w to x's shape (done where a block use starts)."""
        if x.shape is None:
            return self
        c, h, w = (tuple(x.shape) + (1, 1))[:3]
        return replace(self, scope={**self.scope, "in_ch": c, "in_h": h, "in_w": w})


@dataclass(frozen=True)
class BlockRef:
    """A block definition, the file it lives in and its parsed body (None when it cannot be read)."""

    name: str
    definition: L.BlockDef
    doc: SourceDoc
    path: Path
    defaults: dict = field(default_factory=dict, hash=False, compare=False)
    body: Seq | None = field(default=None, hash=False, compare=False)
    init: object = field(default=None, hash=False, compare=False)  # its own `init:` (an InitSet) or None

    @property
    def block_params(self) -> frozenset[str]:
        return block_param_names(self.definition.params)


_INTERPOLATION = re.compile(r"\$\{([^}]*)\}")


def display_value(value) -> str:
    """A value as a display label writes it: a block reference or list without spaces, as papers do
    (`B(3,3)`, `3,1,3`); anything else as str."""
    if isinstance(value, list):
        return ",".join(display_value(v) for v in value)
    if isinstance(value, BlockCall):
        args = [display_value(a) for a in value.positional] + [f"{k}={display_value(v)}" for k, v in value.keywords]
        return f"{value.name}({','.join(args)})" if args else value.name
    return str(value)


def interpolate(message: str, env: Env, evaluate, show=str) -> str:
    """Replace each ${expr} in message by its value, written by show; one that cannot be evaluated
    (evaluate reported why and gave None) stays as written."""
    def value(match: re.Match) -> str:
        got = evaluate("${" + match.group(1) + "}")
        written = match.group(0) if len(match.group(0)) <= 60 else match.group(0)[:40] + "...}"
        return written if got is None else show(got)

    return _INTERPOLATION.sub(value, message)


def display_label(template: str, path: Path, env: Env, evaluate) -> str:
    """A `label:` (a display name in diagrams) with its ${expr} parts replaced by values shown as
    display_value shows them; evaluate(text, kind, path, env) reports a part that fails at path."""
    return interpolate(template, env, lambda text: evaluate(text, object, path, env), display_value)
