"""The closed list of weight initialisers a spec's `init:` may name, one source of truth for both the
language (which validates `{fn: kaiming_normal, mode: fan_out}` against these models) and the torch
backend (which applies them with torch.nn.init).

Each initialiser is a frozen pydantic model whose fields are its arguments, with torch.nn.init's
defaults; `fn` names it. `record()` is the plain, JSON-able form the IR stores on a node, and `apply`
fills a tensor in place.
"""
from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator

from ._fields import Strict

def _number(value: Any) -> Any:
    """Initialiser arguments are plain numbers: no expressions, no booleans."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


Number = Annotated[float, BeforeValidator(_number)]
Nonlinearity = Literal["linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


class InitFn(Strict):
    """Base: no arguments. `torch` names the torch.nn.init function (None: leave PyTorch's default)."""

    torch: ClassVar[str | None] = None

    def record(self) -> dict[str, Any]:
        """{"fn": name, **arguments}: what the IR stores (every argument, defaults included)."""
        return {"fn": fn_name(type(self)), **self.model_dump()}

    def arguments(self) -> dict[str, Any]:
        """The keyword arguments of the torch.nn.init function."""
        return self.model_dump()


class Default(InitFn):
    """PyTorch's own initialisation of the module (nothing is changed)."""


class Zeros(InitFn):
    torch = "zeros_"


class Ones(InitFn):
    torch = "ones_"


class Constant(InitFn):
    torch = "constant_"
    value: Number
    """The value every element takes."""

    def arguments(self) -> dict[str, Any]:
        return {"val": self.value}


class Uniform(InitFn):
    torch = "uniform_"
    a: Number = 0.0
    """Lower bound."""
    b: Number = 1.0
    """Upper bound."""

    @model_validator(mode="after")
    def _ordered(self):
        if not self.a < self.b:
            raise ValueError(f"uniform needs a < b, got a={self.a}, b={self.b}")
        return self


class Normal(InitFn):
    torch = "normal_"
    mean: Number = 0.0
    std: Number = Field(1.0, gt=0)


class TruncNormal(InitFn):
    """Normal(mean, std) redrawn outside [a, b]; a and b are absolute cutoffs, as in torch.nn.init."""

    torch = "trunc_normal_"
    mean: Number = 0.0
    std: Number = Field(1.0, gt=0)
    a: Number = -2.0
    b: Number = 2.0

    @model_validator(mode="after")
    def _ordered(self):
        if not self.a < self.mean < self.b:
            raise ValueError(f"trunc_normal needs a < mean < b, got a={self.a}, mean={self.mean}, b={self.b}")
        return self


class KaimingNormal(InitFn):
    """He et al. 2015: std = gain / sqrt(fan), gain from the nonlinearity (sqrt(2) for relu)."""

    torch = "kaiming_normal_"
    mode: Literal["fan_in", "fan_out"] = "fan_in"
    nonlinearity: Nonlinearity = "leaky_relu"
    a: Number = 0.0
    """Negative slope of leaky_relu (PyTorch's default nonlinearity with a=0 has relu's gain)."""


class KaimingUniform(KaimingNormal):
    torch = "kaiming_uniform_"


class XavierNormal(InitFn):
    """Glorot & Bengio 2010: std = gain * sqrt(2 / (fan_in + fan_out))."""

    torch = "xavier_normal_"
    gain: Number = Field(1.0, gt=0)


class XavierUniform(XavierNormal):
    torch = "xavier_uniform_"


INIT_FNS: dict[str, type[InitFn]] = {
    "default": Default, "zeros": Zeros, "ones": Ones, "constant": Constant, "uniform": Uniform,
    "normal": Normal, "trunc_normal": TruncNormal, "kaiming_normal": KaimingNormal,
    "kaiming_uniform": KaimingUniform, "xavier_normal": XavierNormal, "xavier_uniform": XavierUniform,
}
"""Every initialiser a spec may name, by name."""


def fn_name(cls: type[InitFn]) -> str:
    return next(name for name, c in INIT_FNS.items() if c is cls)


def from_record(record: dict[str, Any]) -> InitFn:
    """The initialiser a node's record describes (inverse of InitFn.record)."""
    fields = {k: v for k, v in record.items() if k not in ("fn", "why")}
    return INIT_FNS[record["fn"]].model_validate(fields)


def describe(record: dict[str, Any]) -> str:
    """`kaiming_normal(mode=fan_out, nonlinearity=relu, a=0.0)`, `zeros`: one line for tables."""
    args = ", ".join(f"{k}={v}" for k, v in record.items() if k not in ("fn", "why"))
    text = f"{record['fn']}({args})" if args else record["fn"]
    return f"{text} [{record['why']}]" if record.get("why") else text


def apply(record: dict[str, Any], tensor: Any) -> None:
    """Fill tensor in place as the record says (under torch.no_grad, as torch.nn.init does)."""
    from torch.nn import init
    fn = from_record(record)
    if fn.torch is not None:
        getattr(init, fn.torch)(tensor, **fn.arguments())
