"""Safe arithmetic expressions over spec parameters (`16*k`, `(depth-4)//6`).

Expressions are parsed with Python's `ast` module (parsing never runs code) and evaluated by a small
tree walker that accepts numbers, quoted strings (for comparisons), parameter names, arithmetic on
numbers, comparisons, `true`/`false`, `a if c else b`, one element of a list (`depths[0]`) and a closed list
of functions (positional or keyword arguments). Nothing else is reachable: no attributes, no slices, no calls by name.
`parse_expr` refuses at parse time every node and operator the evaluator does not handle (`~x`, `x in y`,
`x is y`, `@`, `<<`, list and dict displays, lambdas, comprehensions, f-strings, ...), a number literal out of
range, an unquoted date read as a subtraction (`2001-12-14`) and nesting deeper than MAX_DEPTH; `_eval`
refuses anything else it is handed, and checks every value it reads or computes (no NaN, no infinity, no
complex number, nothing beyond the `number` limit; archspec.source.scalars).
"""
from __future__ import annotations

import ast
import functools
import math
import operator
import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from ..errors import SpecValueError
from ..limits import current as limits, ITEMS_PER_STEP, meter
from ..source.scalars import describe, number_problem, short, show

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
_NUMBER_TYPES = frozenset({int, float})
_OPERATORS = {*_BINARY, *_UNARY, *_COMPARE, ast.And, ast.Or}
OPERATORS_TEXT = "+ - * / // % ** on numbers, == != < <= > >=, and or not, x if c else y"
_SPELLING = {ast.Invert: "~", ast.In: "in", ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not", ast.MatMult: "@",
             ast.LShift: "<<", ast.RShift: ">>", ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&"}
_NODES = (ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.BoolOp, ast.Subscript, ast.Call, ast.keyword, ast.Name,
          ast.Constant, ast.Load)
_DATE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")  # YAML's date, `2001-12-14`, unquoted
MAX_DEPTH = 100
"""How deeply an expression may nest (`-(-(-x))`, `a+b+c+...`): evaluation recurses once per level."""
NODES_PER_STEP = 4
"""Work (archspec.limits): where an expression is checked or evaluated its caller charges a step, and the
expression one more for every NODES_PER_STEP of its nodes (numbers, names, operations, calls), so that
a long expression costs what evaluating it takes (`Expr.cost`; archspec.language.values.resolve_expr)."""


def spend(units: int) -> None:
    """Charge units of the `work` limit to the call in progress; past the limit, an ExprError naming it."""
    if units:
        spent = meter()
        spent.work += units
        if spent.work > limits().work:
            raise ExprError(f"the spec's expressions and items take more than {limits().work:,} steps of work "
                            "(limit work)")


def _charge(values: list) -> None:
    """A function over lists (range, min, len, ...) costs work in proportion to their lengths."""
    spend(sum(len(v) for v in values if isinstance(v, (list, tuple))) // ITEMS_PER_STEP)


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


def _round(number: Any, ndigits: Any = None) -> Any:
    """round(), with ndigits bounded like an exponent (rounding an integer to -n digits computes 10**n)."""
    if ndigits is not None and (isinstance(ndigits, bool) or not isinstance(ndigits, int)
                                or abs(ndigits) > limits().exponent):
        raise ValueError(f"ndigits must be a whole number from -{limits().exponent} to {limits().exponent} "
                         "(limit exponent)")
    return round(number, ndigits)


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
    "min": min, "max": max, "abs": abs, "int": int, "float": float, "round": _round,
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
    """A parsed expression; `names` are the parameters it reads, `size` the number of its nodes
    (ast.expr: numbers, names, operations, calls; counted when not given)."""

    text: str
    tree: ast.expr
    names: frozenset[str]
    size: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if not self.size:  # a tree built by hand (ast.walk does not recurse)
            object.__setattr__(self, "size", sum(isinstance(n, ast.expr) for n in ast.walk(self.tree)))

    @property
    def cost(self) -> int:
        """Steps of the `work` limit checking or evaluating it costs besides the one its caller charges."""
        return self.size // NODES_PER_STEP

    def evaluate(self, scope: Mapping[str, Any]) -> Any:
        try:
            return _eval(self.tree, scope, limits().number)
        except RecursionError:  # a tree nested deeper than parse_expr allows, built by hand
            raise ExprError(f"expression nested more than {MAX_DEPTH} levels") from None

    def __str__(self) -> str:
        return self.text


def parse_expr(text: str) -> Expr:
    """Parse text into an Expr, checking that only allowed syntax is used (raise ExprError)."""
    return _parse(text, limits())


@functools.lru_cache(maxsize=4096)
def _parse(text: str, _limits: object) -> Expr:
    """parse_expr, memoized per text and the limits in force (an Expr is immutable; errors are not kept)."""
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
        raise ExprError(f"invalid expression '{short(text, 60)}': {short(exc.msg, 80)}") from None
    except (RecursionError, MemoryError):  # Python's parser gives up on deep nesting
        raise ExprError(f"expression nested more than {MAX_DEPTH} levels") from None
    names: set[str] = set()
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    size = 0
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ExprError(f"expression nested more than {MAX_DEPTH} levels")
        _vet(node, text)
        size += isinstance(node, ast.expr)
        if isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in CONSTANTS:
            names.add(node.id)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return Expr(text, tree, frozenset(names), size)


def _segment(text: str, node: ast.AST) -> str:
    """The text node was parsed from (cut when long; never ast.unparse, which recurses)."""
    return short(ast.get_source_segment(text, node) or type(node).__name__, 60)


def _vet(node: ast.AST, text: str) -> None:
    """Raise ExprError unless node is syntax the evaluator handles."""
    if isinstance(node, (ast.operator, ast.unaryop, ast.cmpop, ast.boolop)):
        if type(node) not in _OPERATORS:
            raise ExprError(f"operator '{_SPELLING.get(type(node), type(node).__name__)}' is not allowed in an "
                            f"expression (the operators are {OPERATORS_TEXT})")
    elif isinstance(node, ast.Call):
        if (not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS
                or any(k.arg is None for k in node.keywords)):
            raise ExprError(f"only these functions may be called: {', '.join(FUNCTIONS)}")
    elif isinstance(node, ast.Constant):
        if type(node.value) not in (int, float, bool, str):
            raise ExprError(f"constant '{_segment(text, node)}' is not allowed")
        _check(node.value, node, text)
    elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        raise ExprError(f"'{_segment(text, node)}': take one element (`depths[0]`), not a slice")
    elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub):
        written = ast.get_source_segment(text, node) or ""
        if _DATE.fullmatch(written):
            raise ExprError(f"'{written}' reads as a date, not as a subtraction",
                            f"write '{written.replace('-', ' - ')}' to subtract, or quote a date meant as text")
    elif not isinstance(node, _NODES):
        raise ExprError(f"'{_segment(text, node)}' is not allowed in an expression")


@functools.lru_cache(maxsize=1024)
def _unparse(node: ast.AST) -> str:
    """ast.unparse for a message, memoized on the node: parsed trees are memoized too, so the part of an
    expression that fails at every instance of a loop is written out once, not once per mistake."""
    return ast.unparse(node)


def _check(value: Any, node: ast.AST | None = None, text: str | None = None) -> Any:
    """Every number an expression reads or computes must be one a spec may hold: NaN, infinities,
    complex numbers and numbers beyond the `number` limit are refused (they make torch fail later).
    node: the part of the expression that gave it (from text, when given), named in the message."""
    problem = number_problem(value)
    if problem is None:
        return value
    if node is None:
        raise ExprError(f"value {describe(value)} {problem}")
    if isinstance(node, (ast.Constant, ast.Name)):
        raise ExprError(f"'{_segment(text, node) if text is not None else _unparse(node)}' {problem}")
    raise ExprError(f"'{short(_unparse(node), 60)}' gives {describe(value)}, which {problem}")


def _eval(node: ast.AST, scope: Mapping[str, Any], number: int) -> Any:
    """The value of node; total: anything it does not handle is an ExprError, never another exception.
    number: the `number` limit, read once per evaluation (a number within it needs no further check)."""
    node_kind = type(node)  # the common nodes are told apart without a call; subclasses by isinstance
    if node_kind is ast.Constant or isinstance(node, ast.Constant):
        value = node.value
        kind = type(value)
        if (kind is int or kind is float) and -number <= value <= number or kind is bool or kind is str:
            return value
        if kind not in (int, float):
            raise ExprError(f"constant {kind.__name__} is not allowed")
        return _check(value)
    if node_kind is ast.Name or isinstance(node, ast.Name):
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        if node.id not in scope:
            raise ExprError(f"unknown name '{node.id}'")
        value = scope[node.id]
        if (type(value) is int or type(value) is float) and -number <= value <= number:
            return value
        return _check(value, node)
    if node_kind is ast.BinOp or isinstance(node, ast.BinOp):
        op = _BINARY.get(type(node.op))
        if op is None:
            raise ExprError(f"operator '{_SPELLING.get(type(node.op), type(node.op).__name__)}' is not allowed")
        left, right = _eval(node.left, scope, number), _eval(node.right, scope, number)
        if not (type(left) in _NUMBER_TYPES and type(right) in _NUMBER_TYPES
                or isinstance(left, (int, float)) and isinstance(right, (int, float))):
            raise ExprError(f"'{_unparse(node)}' needs numbers, got {show(left)} and {show(right)}")
        if isinstance(node.op, ast.Pow) and abs(right) > limits().exponent:
            raise ExprError(f"exponent out of range (at most {limits().exponent}, limit exponent)")
        try:
            result = op(left, right)
        except ZeroDivisionError:
            raise ExprError(f"division by zero in '{_unparse(node)}'") from None
        except OverflowError:
            raise ExprError(f"'{_unparse(node)}' is out of range (at most {limits().number:.0e}, limit number)"
                            ) from None
        except (TypeError, ValueError) as exc:
            raise ExprError(f"cannot compute '{_unparse(node)}': {exc}") from None
        if (type(result) is int or type(result) is float) and -number <= result <= number:
            return result
        return _check(result, node)
    if isinstance(node, ast.UnaryOp):
        op = _UNARY.get(type(node.op))
        if op is None:
            raise ExprError(f"operator '{_SPELLING.get(type(node.op), type(node.op).__name__)}' is not allowed")
        operand = _eval(node.operand, scope, number)
        if not isinstance(node.op, ast.Not) and not isinstance(operand, (int, float)):
            raise ExprError(f"'{_unparse(node)}' needs a number, got {show(operand)}")
        return _check(op(operand), node)
    if isinstance(node, ast.Compare):
        left = _eval(node.left, scope, number)
        for op_node, comparator in zip(node.ops, node.comparators):
            op = _COMPARE.get(type(op_node))
            if op is None:
                raise ExprError(f"operator '{_SPELLING.get(type(op_node), type(op_node).__name__)}' is not allowed")
            right = _eval(comparator, scope, number)
            try:
                if not op(left, right):
                    return False
            except TypeError:
                raise ExprError(f"cannot compare {show(left)} and {show(right)} in '{_unparse(node)}'") from None
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = (_eval(v, scope, number) for v in node.values)
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.IfExp):
        return _eval(node.body if _eval(node.test, scope, number) else node.orelse, scope, number)
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):  # `depths[0]`, `widths[-1]`
        seq, index = _eval(node.value, scope, number), _eval(node.slice, scope, number)
        if not isinstance(seq, (list, tuple)) or isinstance(index, bool) or not isinstance(index, int):
            raise ExprError(f"'{_unparse(node)}' needs a list and a whole-number index, got {show(seq)} and "
                            f"{show(index)}")
        if not -len(seq) <= index < len(seq):
            raise ExprError(f"index {index} is out of range in '{_unparse(node)}' (the list has {len(seq)} elements)")
        return _check(seq[index], node)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
            and all(k.arg is not None for k in node.keywords):
        args = [_eval(a, scope, number) for a in node.args]
        keywords = {k.arg: _eval(k.value, scope, number) for k in node.keywords}
        try:
            result = FUNCTIONS[node.func.id](*args, **keywords)
        except (TypeError, ValueError, OverflowError, ZeroDivisionError) as exc:
            raise ExprError(f"cannot compute '{_unparse(node)}': {exc}") from None
        _charge([*args, *keywords.values(), result])
        return _check(result, node)
    raise ExprError(f"'{type(node).__name__}' is not allowed in an expression")
