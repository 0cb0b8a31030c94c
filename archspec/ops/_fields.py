"""Argument field types the ops' argument models share: kernel/stride pairs, padding, positive ints.

Each accepts literals or expressions; evaluation runs through the pydantic validation context.
"""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo

from ..language.values import evaluate_value, IntArg, read_number

_KERNEL_TEXT = re.compile(r"^\s*(\d+)\s*x\s*(\d+)\s*$")


class Strict(BaseModel):
    """An argument model: unknown keys are errors, instances are immutable (they are memoized)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def pair(value: Any, info: ValidationInfo) -> Any:
    """int | [a, b] | 'AxB' -> (a, b); expressions allowed for each number."""
    if isinstance(value, str):
        match = _KERNEL_TEXT.match(value)
        if match:
            return tuple(evaluate_value(read_number(group), info.context or {}, int) for group in match.groups())
        value = evaluate_value(value, info.context or {}, int)
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"expected one number or two [height, width], got {len(value)} values")
        return tuple(evaluate_value(v, info.context or {}, int) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = evaluate_value(value, info.context or {}, int)  # bounded like every number
        return value, value
    return value


def _positive_pair(value: tuple[int, int]) -> tuple[int, int]:
    if min(value) < 1:
        raise ValueError(f"must be at least 1, got {value[0]}x{value[1]}")
    return value


PairInput = Union[int, str, tuple[Union[int, str], Union[int, str]]]
"""What a pair is written as (the editor schema reads it): 3, '1x7', an expression, or [1, 7]."""
Pair = Annotated[tuple[int, int], BeforeValidator(pair, json_schema_input_type=PairInput), AfterValidator(_positive_pair)]
PositiveInt = Annotated[IntArg, Field(gt=0)]


def _padding(value: Any, info: ValidationInfo) -> Any:
    if isinstance(value, str) and value in ("same", "valid"):
        return value
    if isinstance(value, str) and value.startswith("$"):
        value = evaluate_value(value, info.context or {}, str)
        if value in ("same", "valid"):
            return value
    value = pair(value, info)
    if isinstance(value, tuple) and min(value) < 0:
        raise ValueError("padding cannot be negative")
    return value


Padding = Annotated[Union[Literal["same", "valid"], tuple[int, int]],
                    BeforeValidator(_padding, json_schema_input_type=Union[Literal["same", "valid"], PairInput])]


def same_needs_odd_kernel(padding: Any, info: ValidationInfo) -> Any:
    """'same' padding is symmetric, so it exists only for odd kernels."""
    kernel = info.data.get("kernel")
    if padding == "same" and kernel and any(k % 2 == 0 for k in kernel):
        raise ValueError(f"'same' padding needs odd kernel sizes, got {kernel[0]}x{kernel[1]}")
    return padding
