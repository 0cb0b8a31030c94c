"""Safe arithmetic expressions over spec parameters (`16*k`, `(depth-4)//6`).

Expressions are parsed with Python's `ast` module (parsing never runs code) and evaluated by a small
tree walker that accepts numbers, quoted strings (for comparisons), parameter names, arithmetic on
numbers, comparisons, `true`/`false`, `a if c else b`, one element of a list (`depths[0]`) and a closed list
of functions (positional or keyword arguments). Nothing else is reachable: no attributes, no slices, no calls by name.
"""
from __future__ import annotations

import ast
import math
import operator
from dataclasses import dataclass
from typing import Any, Mapping

from ..errors import SpecValueError
from ..limits import current as limits

_BINARY = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul,
    ast.Div: operator.truediv, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Not: operator.not_}
_COMPARE = {
    ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
    ast.Gt: operator.gt, ast.GtE: operator.ge,
}
def _range(*args: Any) -> list[int]:
    """range(stop) or range(start, stop[, step]) as a list, at most the `repeat` limit long."""
    if not all(isinstance(a, int) and not isinstance(a, bool) for a in args):
        raise TypeError("range() takes whole numbers")
    values = range(*args)
    if len(values) > limits().repeat:
        raise ValueError(f"range of {len(values):,} elements (at most {limits().repeat:,}, limit repeat)")
    return list(values)


def _len(value: Any) -> int:
    """Length of a list, or the number of positional arguments of a block reference (B(3,1,3) -> 3)."""
    positional = getattr(value, "positional", None)
    if positional is not None:
        return len(positional)
    if isinstance(value, (list, tuple, str)):
        return len(value)
    raise TypeError(f"len() of {value!r}")


def make_divisible(v: Any, divisor: Any = 8, min_value: Any = None, round_limit: Any = 0.9) -> Any:
    """timm's channel rounding (EfficientNet, MobileNet): v to the nearest multiple of divisor, at least
    min_value (a missing or zero min_value means divisor), and one divisor more where rounding down
    would lose more than 1 - round_limit of v."""
    if not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in (v, divisor, round_limit)):
        raise TypeError("make_divisible takes numbers")
    if divisor <= 0:
        raise ValueError(f"divisor must be positive, got {divisor}")
    least = min_value or divisor
    rounded = max(least, int(v + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < round_limit * v else rounded


FUNCTIONS = {
    "min": min, "max": max, "abs": abs, "int": int, "float": float, "round": round,
    "ceil": math.ceil, "floor": math.floor, "len": _len, "range": _range, "make_divisible": make_divisible,
}


CONSTANTS = {"true": True, "false": False}
"""Names with a fixed value: YAML's spelling of the booleans, so `big == true` reads as the file does."""
RESERVED = frozenset(FUNCTIONS) | frozenset(CONSTANTS)
"""Names a parameter may not take: they mean something in every expression."""


class ExprError(SpecValueError):
    """A malformed expression or one that cannot be evaluated."""


@dataclass(frozen=True)
class Expr:
    """A parsed expression; `names` are the parameters it reads."""

    text: str
    tree: ast.expr
    names: frozenset[str]

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        return _eval(self.tree, scope)

    def __str__(self) -> str:
        return self.text


def parse_expr(text: str) -> Expr:
    """Parse text into an Expr, checking that only allowed syntax is used."""
    text = text.strip()
    if text.startswith("${") and text.endswith("}"):
        text = text[2:-1].strip()
    elif text.startswith("$"):
        text = text[1:]
    if not text:
        raise ExprError("empty expression")
    if len(text) > limits().expression_length:
        raise ExprError(f"expression longer than {limits().expression_length} characters (limit expression_length)")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ExprError(f"invalid expression '{text}': {exc.msg}") from None
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if node.id not in FUNCTIONS and node.id not in CONSTANTS:
                names.add(node.id)
        elif isinstance(node, ast.Call):
            if (not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS
                    or any(k.arg is None for k in node.keywords)):
                raise ExprError(f"only these functions may be called: {', '.join(FUNCTIONS)}")
        elif isinstance(node, ast.Constant):
            if not isinstance(node.value, (int, float, bool, str)):
                raise ExprError(f"constant {node.value!r} is not allowed")
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            raise ExprError(f"'{ast.unparse(node)}': take one element (`depths[0]`), not a slice")
        elif not isinstance(node, (ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.BoolOp, ast.Subscript,
                                   ast.keyword,
                                   ast.Load, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
            raise ExprError(f"'{ast.unparse(node)}' is not allowed in an expression")
        if isinstance(node, ast.BinOp) and type(node.op) not in _BINARY:
            raise ExprError(f"operator in '{ast.unparse(node)}' is not allowed")
    return Expr(text, tree, frozenset(names))


def _check(value: Any) -> Any:
    """Numbers beyond the `number` limit (and NaN) are refused: no spec needs them, and they make torch fail later."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and not abs(value) <= limits().number:
        raise ExprError(f"value {value:.3g} is out of range (at most {limits().number:.0e}, limit number)")
    return value


def _eval(node: ast.expr, scope: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return _check(node.value)
    if isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id not in scope:
            raise ExprError(f"unknown name '{node.id}'")
        return scope[node.id]
    if isinstance(node, ast.BinOp):
        left, right = _eval(node.left, scope), _eval(node.right, scope)
        if not all(isinstance(v, (int, float)) for v in (left, right)):
            raise ExprError(f"'{ast.unparse(node)}' needs numbers, got {left!r} and {right!r}")
        if isinstance(node.op, ast.Pow) and (not isinstance(right, (int, float)) or abs(right) > limits().exponent):
            raise ExprError(f"exponent out of range (at most {limits().exponent}, limit exponent)")
        try:
            return _check(_BINARY[type(node.op)](left, right))
        except ZeroDivisionError:
            raise ExprError(f"division by zero in '{ast.unparse(node)}'") from None
        except OverflowError:
            raise ExprError(f"'{ast.unparse(node)}' is out of range") from None
        except TypeError as exc:
            raise ExprError(f"cannot compute '{ast.unparse(node)}': {exc}") from None
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, scope)
        if not isinstance(node.op, ast.Not) and not isinstance(operand, (int, float)):
            raise ExprError(f"'{ast.unparse(node)}' needs a number, got {operand!r}")
        return _UNARY[type(node.op)](operand)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, scope)
        for op, comparator in zip(node.ops, node.comparators):
            right = _eval(comparator, scope)
            try:
                if not _COMPARE[type(op)](left, right):
                    return False
            except TypeError:
                raise ExprError(f"cannot compare {left!r} and {right!r} in '{ast.unparse(node)}'") from None
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, scope) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, scope) else node.orelse, scope)
    if isinstance(node, ast.Subscript):  # one element of a list: `depths[0]`, `widths[-1]`
        seq, index = _eval(node.value, scope), _eval(node.slice, scope)
        if not isinstance(seq, (list, tuple)) or isinstance(index, bool) or not isinstance(index, int):
            raise ExprError(f"'{ast.unparse(node)}' needs a list and a whole-number index, got {seq!r} and {index!r}")
        if not -len(seq) <= index < len(seq):
            raise ExprError(f"index {index} is out of range in '{ast.unparse(node)}' (the list has {len(seq)} elements)")
        return seq[index]
    if isinstance(node, ast.Call):
        args = [_eval(a, scope) for a in node.args]
        keywords = {k.arg: _eval(k.value, scope) for k in node.keywords}
        try:
            return _check(FUNCTIONS[node.func.id](*args, **keywords))
        except (TypeError, ValueError, OverflowError) as exc:
            raise ExprError(f"cannot compute '{ast.unparse(node)}': {exc}") from None
    raise ExprError(f"'{ast.unparse(node)}' is not allowed")  # pragma: no cover
