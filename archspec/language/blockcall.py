"""Block references passed as parameter values: `ir_a_branches`, `B(3, 1, 3)`,
`ir_b_branches(a=192, b=128)` or `{ir_b_branches: {a: 192}}`.

Arguments are literals (numbers, strings, booleans (`true`, `false`), lists of those). Positional arguments fill the
target block's parameters in declaration order; a `list` parameter takes all that remain.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

from ..errors import SpecValueError, did_you_mean
from .expr import CONSTANTS
from ..source.scalars import check_numbers, show


@dataclass(frozen=True)
class BlockCall:
    name: str
    positional: tuple = ()
    keywords: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        args = [repr(a) for a in self.positional] + [f"{k}={v!r}" for k, v in self.keywords]
        return f"{self.name}({', '.join(args)})" if args else self.name


def _literal(node: ast.expr) -> Any:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, str, bool):
        return node.value
    if isinstance(node, ast.Name) and node.id in CONSTANTS:  # YAML's true and false
        return CONSTANTS[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return -value
    if isinstance(node, ast.List):
        return [_literal(e) for e in node.elts]
    raise SpecValueError(f"block arguments must be literal numbers, strings or lists, got '{ast.unparse(node)}'")


def parse_block_call(value: Any, blocks) -> BlockCall:
    """Parse and check a block reference against the known block names (raise SpecValueError)."""
    if isinstance(value, BlockCall):
        call = value
    elif isinstance(value, dict) and len(value) == 1:
        (name, args), = value.items()
        if args is not None and (not isinstance(args, dict) or not all(isinstance(k, str) for k in args)):
            raise SpecValueError(f"'{name}' takes a mapping of parameter names to values, got {show(args)}")
        call = BlockCall(str(name), (), tuple((args or {}).items()))
    elif isinstance(value, str):
        text = value.strip()
        if len(text) > 200:
            raise SpecValueError("block reference longer than 200 characters")
        try:
            tree = ast.parse(text, mode="eval").body
        except (SyntaxError, RecursionError, MemoryError):
            raise SpecValueError(f"cannot read block reference '{text}' (write name or name(arg, key=value))") from None
        if isinstance(tree, ast.Name):
            call = BlockCall(tree.id)
        elif isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
            if any(k.arg is None for k in tree.keywords) or any(isinstance(a, ast.Starred) for a in tree.args):
                raise SpecValueError(f"'{text}': write arguments out (no * or **)")
            call = BlockCall(tree.func.id, tuple(_literal(a) for a in tree.args),
                             tuple((k.arg, _literal(k.value)) for k in tree.keywords))
        else:
            raise SpecValueError(f"cannot read block reference '{text}' (write name or name(arg, key=value))")
    else:
        raise SpecValueError(f"expected a block reference, got {show(value)}")
    check_numbers([call.positional, [v for _, v in call.keywords]])  # `B(3, 1e999)`: no infinity, NaN, ...
    if not isinstance(call.name, str):
        raise SpecValueError(f"expected a block name, got {show(call.name)}")
    if call.name not in blocks:
        hint = did_you_mean(call.name, blocks)
        raise SpecValueError(f"no block named '{call.name}'" + (f" ({hint})" if hint else ""))
    return call


def call_arguments(call: BlockCall, params: dict) -> dict:
    """The call's arguments by parameter name; `params` is the target block's declarations."""
    names = list(params)
    args: dict = {}
    positional = list(call.positional)
    for name in names:
        if not positional:
            break
        if params[name].type == "list":
            args[name], positional = positional, []
        else:
            args[name] = positional.pop(0)
    if positional:
        raise SpecValueError(f"{call} passes {len(call.positional)} positional arguments; "
                         f"'{call.name}' takes {len(names)}")
    args.update(dict(call.keywords))
    return args
