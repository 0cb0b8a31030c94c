"""Writing constructor expressions (constructors.py) as Python source: arguments equal to their default left
out, equal neighbours in an nn.Sequential written once with `for _ in range(n)`, and a call that does not
fit in WIDTH characters split one argument per line."""
from __future__ import annotations

import textwrap
from typing import Any

from .constructors import Arg, Call, Expr, Lit, NO_DEFAULT, Ref

WIDTH = 120


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same kind (True is not 1, 1 is not 1.0 as written)."""
    return type(a) is type(b) and a == b


def _shown(arg: Arg) -> bool:
    return not (isinstance(arg.value, Lit) and arg.default is not NO_DEFAULT and same_value(arg.value.value, arg.default))


def _callee(call: Call) -> str:
    return call.callee if isinstance(call.callee, str) else call.callee.name


def _runs(call: Call) -> list[tuple[Expr, int]] | None:
    """An nn.Sequential's elements as (element, times) runs of equal ones; None for any other call."""
    if call.callee != "nn.Sequential":
        return None
    runs: list[list] = []
    for arg in call.args:
        if runs and inline(arg.value) == inline(runs[-1][0]):
            runs[-1][1] += 1
        else:
            runs.append([arg.value, 1])
    return [(expr, times) for expr, times in runs]


def _element(expr: Expr, times: int) -> str:
    return inline(expr) if times == 1 else f"*[{inline(expr)} for _ in range({times})]"


def inline(expr: Expr) -> str:
    """The expression on one line."""
    if isinstance(expr, Lit):
        return repr(expr.value)
    if isinstance(expr, Ref):
        return expr.name
    runs = _runs(expr)
    if runs is not None:  # equal neighbours once: nn.Sequential(B(16, 160), *[B_2(160) for _ in range(3)])
        return f"{_callee(expr)}({', '.join(_element(e, n) for e, n in runs)})"
    args = [(inline(a.value) if a.positional else f"{a.name}={inline(a.value)}") for a in expr.args if _shown(a)]
    return f"{_callee(expr)}({', '.join(args)})"


def lines(expr: Expr, indent: int, prefix: str = "", suffix: str = "") -> list[str]:
    """`prefix + expr + suffix` at indent, split over lines where it does not fit."""
    pad = " " * indent
    line = f"{pad}{prefix}{inline(expr)}{suffix}"
    if len(line) <= WIDTH or not isinstance(expr, Call) or not expr.args:
        return [line]
    runs = _runs(expr)
    if runs is not None and len(runs) == 1:
        return ([f"{pad}{prefix}{_callee(expr)}(*["] + lines(runs[0][0], indent + 4, "", f" for _ in range({runs[0][1]})")
                + [f"{pad}]){suffix}"])
    out = [f"{pad}{prefix}{_callee(expr)}("]
    if runs is not None:
        for element, times in runs:
            out += (lines(element, indent + 4, "", ",") if times == 1 else
                    lines(element, indent + 4, "*[", f" for _ in range({times})],"))
        return out + [f"{pad}){suffix}"]
    for arg in expr.args:
        if _shown(arg):
            out += lines(arg.value, indent + 4, "" if arg.positional else f"{arg.name}=", ",")
    return out + [f"{pad}){suffix}"]


def docstring(text: str, indent: int) -> list[str]:
    """A triple-quoted docstring of text's paragraphs, wrapped to WIDTH."""
    pad = " " * indent
    paragraphs = [" ".join(p.split()) for p in text.replace('"""', "'''").replace("\\", "\\\\").split("\n\n")]
    body: list[str] = []
    for paragraph in filter(None, paragraphs):
        if body:
            body.append("")
        body += textwrap.wrap(paragraph, WIDTH - indent - 3, break_long_words=False, break_on_hyphens=False)
    if len(body) == 1 and len(pad) + len(body[0]) + 6 <= WIDTH:
        return [f'{pad}"""{body[0]}"""']
    return [f'{pad}"""{body[0]}'] + [f"{pad}{b}" if b else "" for b in body[1:]] + [f'{pad}"""']
