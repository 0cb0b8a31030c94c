"""The spec language's pydantic models: one model per primitive's arguments, plus the document.

Field docstrings are the reference documentation of each key (docs/spec-language.md mirrors them).
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo,
                      field_validator)

from .ops import ACTIVATIONS
from .values import BoolArg, FloatArg, IntArg, StrArg, evaluate_value

_KERNEL_TEXT = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _pair(value: Any, info: ValidationInfo) -> Any:
    """int | [a, b] | 'AxB' -> (a, b); expressions allowed for each number."""
    if isinstance(value, str):
        match = _KERNEL_TEXT.match(value)
        if match:
            return int(match.group(1)), int(match.group(2))
        value = evaluate_value(value, info.context or {}, int)
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"expected one number or two [height, width], got {len(value)} values")
        return tuple(evaluate_value(v, info.context or {}, int) for v in value)
    return (value, value) if isinstance(value, int) and not isinstance(value, bool) else value


def _positive_pair(value: tuple[int, int]) -> tuple[int, int]:
    if min(value) < 1:
        raise ValueError(f"must be at least 1, got {value[0]}x{value[1]}")
    return value


Pair = Annotated[tuple[int, int], BeforeValidator(_pair), AfterValidator(_positive_pair)]
PositiveInt = Annotated[IntArg, Field(gt=0)]


def _padding(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str) and value in ("same", "valid"):
        return value
    if isinstance(value, str) and value.startswith("$"):
        value = evaluate_value(value, info.context or {}, str)
        if value in ("same", "valid"):
            return value
    value = _pair(value, info)
    if isinstance(value, tuple) and min(value) < 0:
        raise ValueError("padding cannot be negative")
    return value


Padding = Annotated[Union[Literal["same", "valid"], tuple[int, int]], BeforeValidator(_padding)]


def _activation(value: str, info: ValidationInfo) -> str:
    if value == "none" or value in ACTIVATIONS:
        return value
    from .errors import did_you_mean
    hint = did_you_mean(value, ACTIVATIONS + ("none",))
    raise ValueError(f"unknown activation '{value}'; choose one of {', '.join(ACTIVATIONS)} or none"
                     + (f" ({hint})" if hint else ""))


ActName = Annotated[StrArg, AfterValidator(_activation)]


class BatchNormArgs(Strict):
    eps: Annotated[FloatArg, Field(gt=0)] = 1e-5
    """Added to the variance for numerical stability (Inception uses 0.001)."""
    momentum: Annotated[FloatArg, Field(ge=0, le=1)] = 0.1
    """PyTorch convention: weight of the new batch statistic in the running average."""
    affine: BoolArg = True
    """Learnable scale and shift (gamma, beta)."""


def _same_needs_odd_kernel(padding: Any, info: ValidationInfo) -> Any:
    kernel = info.data.get("kernel")
    if padding == "same" and kernel and any(k % 2 == 0 for k in kernel):
        raise ValueError(f"'same' padding needs odd kernel sizes, got {kernel[0]}x{kernel[1]}")
    return padding


def _bn_flag(value: Any) -> Any:
    if value is True:
        return {}
    return None if value is False or value == "none" else value


class ConvArgs(Strict):
    out: PositiveInt
    """Output channels."""
    kernel: Pair
    """Kernel size: 3, [1, 7] or '1x7'."""
    stride: Pair = (1, 1)
    padding: Padding = "valid"
    """'valid' (no padding, PyTorch's default), 'same' ((k-1)/2 per side, odd kernels), or explicit."""
    dilation: Pair = (1, 1)
    groups: PositiveInt = 1
    bias: BoolArg = False
    """Conv bias. Off by default because a batch norm follows."""
    bn: Annotated[Optional[BatchNormArgs], BeforeValidator(_bn_flag)] = BatchNormArgs()
    """Batch norm after the conv: true, false, or its arguments (merged over defaults.bn)."""
    act: ActName = "relu"
    """Activation after the batch norm, or 'none'."""

    @field_validator("padding")
    @classmethod
    def _same_needs_odd(cls, value, info: ValidationInfo):
        return _same_needs_odd_kernel(value, info)


class PoolArgs(Strict):
    kernel: Pair
    stride: Pair | None = None
    """Defaults to the kernel size (PyTorch's rule)."""
    padding: Padding = "valid"
    ceil_mode: BoolArg = False

    @field_validator("padding")
    @classmethod
    def _same_needs_odd(cls, value, info: ValidationInfo):
        return _same_needs_odd_kernel(value, info)


class MaxPoolArgs(PoolArgs):
    dilation: Pair = (1, 1)


class AvgPoolArgs(PoolArgs):
    count_include_pad: BoolArg = True
    """Whether zero padding counts in the average (Inception-v4 excludes it, Inception-v3 includes it)."""


class GlobalPoolArgs(Strict):
    keepdim: BoolArg = False
    """Keep a Cx1x1 map (for gating branches) instead of a flat C vector."""


class DropoutArgs(Strict):
    p: Annotated[FloatArg, Field(ge=0, lt=1)]
    """Probability of zeroing an element in training."""


class LinearArgs(Strict):
    out: PositiveInt
    bias: BoolArg = True


class ScaleArgs(Strict):
    factor: FloatArg
    """Constant the input is multiplied by."""


class ActArgs(Strict):
    fn: ActName


class EmptyArgs(Strict):
    pass


class ResidualArgs(Strict):
    body: list[Any]
    """The residual branch f(x), a sequence of items."""
    shortcut: Any = "auto"
    """'identity', 'auto' (identity when shapes match, else a 1x1 projection), or items."""
    preact: list[Any] = []
    """Items applied first and shared: the body and a projection shortcut read their output,
    an identity shortcut reads the raw input (pre-activation ResNets)."""
    projection: dict[str, Any] = {}
    """Arguments of the conv that 'auto' uses when shapes differ (default: plain conv, no BN/act)."""
    scale: FloatArg = 1.0
    """Residual scaling s in x + s*f(x)."""
    act: ActName = "none"
    """Activation applied after the addition."""


class AuxArgs(Strict):
    body: list[Any]
    """Items computing the extra output from the tensor at this point (e.g. an auxiliary classifier)."""
    enabled: BoolArg = True
    """Whether the branch exists at all (tie it to a parameter: `enabled: aux`)."""
    train_only: BoolArg = True
    """Returned only in training mode, as torchvision's Inception-v3 does; eval returns the main output."""


class ForArgs(Strict):
    each: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
    """Name of the loop variable."""
    in_: Annotated[Any, Field(alias="in")]
    """A list, or an expression naming a list parameter."""
    index: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "i"
    """Name of the 0-based loop counter."""
    do: list[Any]
    """Items expanded once per element."""


# ---------------------------------------------------------------------------- the document

_TYPE_NAMES = {"int": int, "float": float, "bool": bool, "str": str}


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


Param = Annotated[ParamDecl, BeforeValidator(_param_decl)]


class CheckDecl(Strict):
    """A rule over parameter values, reported with its message when it does not hold."""

    that: str
    """A boolean expression, e.g. `(depth - 4) % 6 == 0`."""
    message: str
    """What is wrong; `${expr}` parts are replaced by their values."""


class BlockDef(Strict):
    doc: str = ""
    """One line shown by tools and diagrams."""
    params: dict[str, Param] = {}
    checks: list[CheckDecl] = []
    """Rules the parameters of each use must satisfy."""
    body: list[Any]
    """The block's items, in order."""


class LibraryDoc(Strict):
    """A file of reusable blocks, brought in with `imports:`."""

    archspec: Literal[1] = 1
    doc: str = ""
    imports: list[Any] = []
    defaults: dict[str, dict[str, Any]] = {}
    """Defaults that apply inside this file's blocks."""
    blocks: dict[str, BlockDef] = {}


class SpecDoc(Strict):
    archspec: Literal[1] = 1
    """Version of the spec language."""
    imports: list[Any] = []
    """Block library files, relative to this file."""
    name: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]*$")]
    doc: str = ""
    params: dict[str, Param] = {}
    let: dict[str, Any] = {}
    """Derived values, each an expression over params and earlier `let` names."""
    checks: list[CheckDecl] = []
    """Rules the parameter values must satisfy."""
    input: list[Any]
    """[C, H, W]; numbers or expressions over params."""
    defaults: dict[str, dict[str, Any]] = {}
    """Default arguments per primitive (conv, bn, maxpool, ...), merged under every use."""
    blocks: dict[str, BlockDef] = {}
    network: list[Any]
    head: list[Any] = []
    features: list[str] = []
    """Feature taps for `features_only` backbones: node or block-use names (default: one per stride)."""


TYPE_OF = _TYPE_NAMES
