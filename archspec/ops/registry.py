"""The op registry: the contract every primitive IR op fulfils, and the tables built from it.

One op = one subclass of OpDef, registered with @register_op. It says everything about the op: the
spec items that produce it (argument model, main argument, shorthand, defaults key), the IR attributes
built from validated arguments, the shape rule (PyTorch's exact arithmetic), params and MACs, the
torch module, the diagram label and category, backend flags, and sample configurations that the
registry test builds. Shapes exclude the batch: (C, H, W) for feature maps, (F,) for vectors.

Counting convention (torch.utils.flop_counter's, divided by two): MACs are the multiply-accumulates
of convolutions and linear layers at batch 1; nothing else counts. Params are trainable tensors.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from pydantic import BaseModel

from ..errors import SpecValueError

Shape = tuple[int, ...]

# Diagram categories an op may belong to (backends.graphviz.labels gives each a colour and legend text).
CATEGORIES = ("io", "conv", "norm", "act", "pool", "concat", "merge", "scale", "linear", "other")
# Item keys that are not primitives: a registered op may not take them.
COMPOSITES = ("seq", "concat", "add", "mul", "residual", "aux", "for", "split")
MODIFIERS = ("name", "repeat", "first", "last", "when", "id", "from")


class ShapeError(SpecValueError):
    """An op cannot accept its input shapes; the message says why."""


class FeatureMapError(ShapeError):
    """An op that needs a CxHxW feature map got another rank; `op` names the op as the message does."""

    def __init__(self, message: str, op: str):
        super().__init__(message)
        self.op = op


@dataclass(frozen=True)
class Saved:
    """A tensor autograd keeps from an op's forward for its backward (weights, always kept, are not listed):
    an input (its index), the output, or a tensor of the op's own ("own": a dropout mask, max-pool indices,
    a norm's statistics) of `elements` (per sample, or in all) of `itemsize` bytes (None: the activations')."""

    of: int | str
    elements: int = 0
    per_sample: bool = True
    itemsize: int | None = None


class OpError(TypeError):
    """An op definition breaks the registry's contract (a bug in the op's module, not in a spec)."""


@dataclass(frozen=True)
class Sample:
    """A configuration the registry test compiles: a CxHxW input, then these spec items."""

    input: Shape
    items: tuple


@dataclass
class ItemDef:
    """One spec item key that produces a primitive op: how its arguments are written and checked."""

    key: str
    model: type[BaseModel]
    main: str | None
    defaults_key: str | None
    shorthand: bool  # a string is read token by token (`3x3 96 /2`) instead of as the main argument
    fixed: dict
    doc: str
    ops: list["OpDef"] = field(default_factory=list)  # more than one: chosen by input rank

    def op_for(self, shape: Shape | None) -> "OpDef":
        """The op this item becomes for an input of this shape (the first one when unknown or none fits)."""
        if shape is not None:
            for op in self.ops:
                if op.input_ranks is None or len(shape) in op.input_ranks:
                    return op
        return self.ops[0]


class OpDef:
    """Base class of an op definition; the defaults are an op with no parameters, no MACs and the
    shape of its input. Subclasses must give name, category, samples, label and lower (and attrs if
    they have items)."""

    name: ClassVar[str] = ""
    arity: ClassVar[int | None] = 1  # None: any number >= 2
    category: ClassVar[str] = ""
    # The spec items that produce this op: key -> one-line doc. Empty for ops emitted by composites.
    items: ClassVar[dict[str, str]] = {}
    fixed: ClassVar[dict[str, dict]] = {}  # arguments a key implies (relu -> fn=relu)
    args: ClassVar[type[BaseModel] | None] = None
    main: ClassVar[str | None] = None  # the field a bare scalar (or bare shorthand token) fills
    shorthand: ClassVar[bool] = False
    defaults_key: ClassVar[str | None] = None  # which entry of a spec's `defaults` applies
    input_ranks: ClassVar[tuple[int, ...] | None] = None  # ops sharing an item key differ here
    tuple_attrs: ClassVar[tuple[str, ...]] = ()  # attrs that are tuples (JSON writes lists)
    width_attrs: ClassVar[tuple[str, ...]] = ()  # channel widths, ignored when comparing block structure
    # attributes a schedule varies from use to use (a drop-path rate), always ignored when comparing block structure
    schedule_attrs: ClassVar[tuple[str, ...]] = ()
    # Whether backward does not read this op's output, so a following ReLU may overwrite it in place.
    inplace_safe_output: ClassVar[bool] = False
    samples: ClassVar[tuple[Sample, ...]] = ()

    def attrs(self, key: str, args: Any, shape: Shape) -> dict:
        """IR attributes of the node item `key` becomes, from its validated arguments and input shape."""
        raise NotImplementedError(self.name)

    def shape(self, attrs: dict, inputs: list[Shape]) -> Shape:
        """Output shape; raises ShapeError with a message for the user."""
        return inputs[0]

    def params(self, attrs: dict, inputs: list[Shape], out: Shape) -> int:
        """Trainable parameters."""
        return 0

    def buffers(self, attrs: dict) -> int:
        """Elements of the module's buffers (BatchNorm's running statistics): what `build_model` allocates
        besides the parameters, for its memory estimate."""
        return 0

    def buffer_bytes(self, attrs: dict, itemsize: int) -> int:
        """Bytes of the buffers when the model's floating-point tensors take `itemsize` bytes each."""
        return self.buffers(attrs) * itemsize

    def saves(self, attrs: dict, inputs: list[Shape], out: Shape) -> tuple[Saved, ...]:
        """What autograd keeps for this op's backward in training (analysis.memory sums it, one storage
        counted once): by default every input, as a convolution, linear layer, pool or norm needs. Nothing
        is kept for an op without parameters none of whose inputs needs a gradient; `attrs` carries
        `inplace: True` where the built model runs the op in place."""
        return tuple(Saved(i) for i in range(len(inputs)))

    def scratch(self, attrs: dict, inputs: list[Shape], out: Shape) -> tuple[Saved, ...]:
        """Tensors of its own ("own" entries, per sample) an op makes in an eval forward besides its output,
        alive while it runs (a norm's statistics, max-pool indices): part of the inference peak. None by default."""
        return ()

    def aliases_input(self, attrs: dict, inputs: list[Shape], training: bool = True) -> bool:
        """Whether the output is its first input's storage (a view, an identity) in training (or, with
        training=False, in eval): it allocates nothing."""
        return False

    def macs(self, attrs: dict, inputs: list[Shape], out: Shape) -> int:
        """Multiply-accumulates at batch 1 (convolutions and linear layers only)."""
        return 0

    def stride(self, attrs: dict, inputs: list[Shape], out: Shape) -> Fraction:
        """The nominal factor by which this op divides a map's height: its `stride` attribute (1 without
        one), 1/2 for a 2x upsampling. Feature taps' `reduction` is the product of these from the input."""
        return Fraction(attrs.get("stride", (1,))[0])

    def lower(self, attrs: dict, inputs: list[Shape]) -> Any:
        """The torch.nn.Module computing this node."""
        raise NotImplementedError(self.name)

    def label(self, attrs: dict) -> str:
        """The paper-style diagram label ('3x3 conv, 384, /2 V')."""
        raise NotImplementedError(self.name)

    def inplace_capable(self, attrs: dict) -> bool:
        """Whether this node may overwrite its input in place (when the producer allows it)."""
        return False


OPS: dict[str, OpDef] = {}
"""IR op name -> its definition."""
ITEMS: dict[str, ItemDef] = {}
"""Spec item key -> how it is written and which op(s) it becomes."""


def _check(op: OpDef) -> None:
    cls = type(op)
    missing = [m for m in ("label", "lower") if getattr(cls, m) is getattr(OpDef, m)]
    if cls.items and cls.attrs is OpDef.attrs:
        missing.append("attrs")
    if cls.items and cls.args is None:
        missing.append("args")
    if not cls.samples:
        missing.append("samples")
    if missing:
        raise OpError(f"op '{cls.name}' ({cls.__module__}) does not define {', '.join(missing)}")
    if not cls.name or cls.name in OPS:
        raise OpError(f"op name {cls.name!r} ({cls.__module__}) is empty or already registered")
    if cls.category not in CATEGORIES:
        raise OpError(f"op '{cls.name}': category {cls.category!r} is not one of {', '.join(CATEGORIES)}")
    for key in cls.items:
        if key in COMPOSITES or key in MODIFIERS:
            raise OpError(f"op '{cls.name}': item key '{key}' is a composite or modifier")
        other = ITEMS.get(key)
        if other is not None and (other.model is not cls.args or other.main != cls.main
                                  or other.defaults_key != cls.defaults_key or other.shorthand != cls.shorthand):
            raise OpError(f"op '{cls.name}': item key '{key}' is already taken by op '{other.ops[0].name}'")
        if other is not None:
            ranks = [o.input_ranks for o in other.ops + [op]]
            flat = [r for rs in ranks if rs for r in rs]
            if any(rs is None for rs in ranks) or len(flat) != len(set(flat)):
                raise OpError(f"op '{cls.name}': item key '{key}' is shared, so its ops need distinct input_ranks")


def register_op(cls: type[OpDef]) -> type[OpDef]:
    """Register an op definition (use as a class decorator); raises OpError if the definition is incomplete."""
    op = cls()
    _check(op)
    OPS[cls.name] = op
    for key, doc in cls.items.items():
        item = ITEMS.get(key)
        if item is None:
            fixed = cls.fixed.get(key)  # a key that fixes the arguments (relu) takes none of its own
            item = ITEMS[key] = ItemDef(key, cls.args, None if fixed else cls.main,
                                        None if fixed else cls.defaults_key, cls.shorthand, dict(fixed or {}), doc)
        item.ops.append(op)
    return cls


def defaults_keys() -> list[str]:
    """The keys a spec's `defaults` may hold."""
    return sorted({item.defaults_key for item in ITEMS.values() if item.defaults_key})
