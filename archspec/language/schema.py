"""The spec language's pydantic models for composites and the document (each primitive op's argument model
lives in its module in archspec/ops/).

Field docstrings are the reference documentation of each key (docs/spec-language.md mirrors them).
"""
from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BeforeValidator, Field

from ..ops._fields import Strict
from ..ops.act import ActName
from .values import BoolArg, FloatArg


def _editor(kind: str) -> Any:
    """A marker for the editor schema (archspec.language.editor), which describes this field as KIND."""
    return Field(json_schema_extra={"archspec": kind})


Items = Annotated[list[Any], _editor("items")]  # a list of items, parsed by archspec.language.parse
Defaults = Annotated[dict[str, dict[str, Any]], _editor("defaults")]  # default arguments per primitive

SHORTCUTS = ("identity", "auto", "if_same")  # the shortcut words; anything else must be a list of items


def bad_shortcut(value: Any) -> str:
    """The message for a shortcut that is neither a shortcut word nor a list of items."""
    return f"shortcut must be {', '.join(repr(w) for w in SHORTCUTS)} or a list of items, got {value!r}"


class ResidualArgs(Strict):
    body: Items
    """The residual branch f(x), a sequence of items."""
    shortcut: Annotated[Any, _editor("shortcut")] = "auto"
    """'identity', 'auto' (identity when shapes match, else a 1x1 projection), 'if_same' (identity when
    shapes match, else no shortcut and no addition: MobileNetV2's inverted residual), or items."""
    preact: Items = []
    """Items applied first and shared: the body and a projection shortcut read their output,
    an identity shortcut reads the raw input (pre-activation ResNets)."""
    projection: Annotated[dict[str, Any], _editor("projection")] = {}
    """Arguments of the conv that 'auto' uses when shapes differ (default: plain conv, no BN/act)."""
    scale: FloatArg = 1.0
    """Residual scaling s in x + s*f(x)."""
    act: ActName = "none"
    """Activation applied after the addition."""
    drop_path: Annotated[FloatArg, Field(ge=0, lt=1)] = 0.0
    """Stochastic depth: the rate at which the residual branch is dropped (per sample, in training) before
    the addition; 0 adds nothing. An expression, so a schedule over the block index is one line."""


class AuxArgs(Strict):
    body: Items
    """Items computing the extra output from the tensor at this point (e.g. an auxiliary classifier)."""
    enabled: BoolArg = True
    """Whether the branch exists at all (tie it to a parameter: `enabled: aux`)."""
    train_only: BoolArg = True
    """Returned only in training mode, as torchvision's Inception-v3 does; eval returns the main output."""


class ForArgs(Strict):
    each: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    """Name of the loop variable."""
    in_: Annotated[Any, Field(alias="in")]
    """A list, an expression naming a list parameter, or a count n (then the element is 0 .. n-1)."""
    index: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "i"
    """Name of the 0-based loop counter."""
    do: Items
    """Items expanded once per element."""


# ---------------------------------------------------------------------------- the document

_TYPE_NAMES = {"int": int, "float": float, "bool": bool, "str": str}


Id = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
OutputRef = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)?$")]  # an id, or a part `neck.p3`


class ParamDecl(Strict):
    type: Literal["int", "float", "bool", "str", "list", "block"] | None = None
    """`list`: a list of numbers. `block`: a block reference (`name`, `B(3, 3)`, `name(k=1)`),
    used in a body as the item `$param` (higher-order blocks)."""
    default: Any = None
    doc: str = ""
    choices: list[Any] | None = None

    @property
    def required(self) -> bool:
        return self.default is None


def _param_decl(value: Any) -> Any:
    """`k: 192` (default), `k: int` (required, typed) or the full mapping."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and (value in _TYPE_NAMES or value in ("block", "list")):
        return {"type": value}
    kind = next((n for n, t in _TYPE_NAMES.items() if type(value) is t), "list" if isinstance(value, list) else None)
    return {"type": kind, "default": value}


# as written: the full mapping, a type name (required), or a default (its type is the parameter's)
Param = Annotated[ParamDecl, BeforeValidator(_param_decl, json_schema_input_type=Union[
    ParamDecl, Literal["int", "float", "bool", "str", "list", "block"], int, float, bool, str, list, None])]


class CheckDecl(Strict):
    """A rule over parameter values, reported with its message when it does not hold."""

    that: str
    """A boolean expression, e.g. `(depth - 4) % 6 == 0`."""
    message: str
    """What is wrong; `${expr}` parts are replaced by their values."""


class BlockDef(Strict):
    doc: str = ""
    """One line shown by tools and diagrams."""
    label: str = ""
    """The block's display name in diagrams (`Inception-A`); `${expr}` parts are replaced by values of the
    block's parameters at each use (`${block} x${n}, ${width}`). Default: the block's name."""
    draw_order: list[int] = []
    """Diagrams only: the left-to-right order on the page of the inputs of the block's output merge (its
    last concat or add), as 0-based positions in the order the merge reads them (`[3, 0, 1, 2]` draws the
    fourth branch leftmost). The concat order, which weights depend on, does not change."""
    draw_shapes: bool = False
    """Diagrams only: write each item's output shape (H x W x C) inside the block, as Fig. 3 of the
    Inception-v4 paper does for its stem."""
    params: dict[str, Param] = {}
    checks: list[CheckDecl] = []
    """Rules the parameters of each use must satisfy."""
    body: Items
    """The block's items, in order."""
    inputs: list[Id] = []
    """Ids of the tensors the block takes, when it takes several (used with `from: [a, b, ...]`);
    default: one input, read as `input`."""
    outputs: list[Id] = []
    """Ids of its body the block returns, when it returns several (read as `use_id.out`);
    default: the output of its last item."""
    init: dict[str, Any] = {}
    """How the weights inside this block are initialised (over the spec's `init`; archspec.language.init)."""


class LibraryDoc(Strict):
    """A file of reusable blocks, brought in with `imports:`."""

    archspec: Literal[1] = 1
    doc: str = ""
    imports: list[Any] = []
    defaults: Defaults = {}
    """Defaults that apply inside this file's blocks."""
    blocks: dict[str, BlockDef] = {}


class SpecDoc(Strict):
    archspec: Literal[1] = 1
    """Version of the spec language."""
    imports: list[Any] = []
    """Block library files, relative to this file."""
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")]
    """The network's name (letters, digits, _ . -)."""
    doc: str = ""
    """One line shown by tools and diagrams."""
    label: str = ""
    """The network's display name, the title of its diagrams; `${expr}` parts are replaced by values of
    params and `let` names (`WRN-${depth}-${k}, ${block}`). Default: name."""
    params: dict[str, Param] = {}
    """The network's parameters, overridable with --set: `k: 192` (default), `k: int` (required) or
    `{type, default, doc, choices}`."""
    let: dict[str, Any] = {}
    """Derived values, each an expression over params and earlier `let` names."""
    checks: list[CheckDecl] = []
    """Rules the parameter values must satisfy."""
    input: list[Any]
    """[C, H, W]; numbers or expressions over params."""
    defaults: Defaults = {}
    """Default arguments per primitive (conv, bn, maxpool, ...), merged under every use."""
    blocks: dict[str, BlockDef] = {}
    """Named, parametrized blocks, used as items by name."""
    network: Items
    """The network's items: block uses and layers, in order."""
    head: Items = []
    """More items after the network, named under `head.` (the classifier)."""
    outputs: list[OutputRef] = []
    """Ids (of network or head items) the network returns, in order, or parts of them (`neck.p3`, `s.0`);
    default: the last item's output."""
    features: list[str] = []
    """Feature taps for `features_only` backbones: node or block-use names (default: one per stride)."""
    init: dict[str, Any] = {}
    """How weights are initialised, per op kind and per named item (archspec.language.init)."""


TYPE_OF = _TYPE_NAMES
COMPOSITE_ARGS = {"residual": ResidualArgs, "aux": AuxArgs, "for": ForArgs}
"""The composites whose value is a mapping validated by an argument model."""
