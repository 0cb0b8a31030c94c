"""A sweep's grid: parameter names and their values, checked against the spec's declarations before
anything is counted (a wrong name or value is the caller's mistake: OverrideError, exit 2 on the command
line), and budgets written as `10M`, `2G`, `1.5e9`."""
from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any, Iterator, Mapping, Sequence

from ..errors import Diagnostic, OverrideError, SpecValueError, did_you_mean
from ..language.params import coerce
from ..source.scalars import scalar_from_text, show

MAX_VARIANTS = 1_000_000  # a grid larger than this is refused before anything is counted
SUFFIXES = {"k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}
_AMOUNT = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([kmgt]?)\s*$", re.IGNORECASE)


class CommandLineGrid(dict):
    """A grid read from the command line (`--grid NAME=V1,V2`): its mistakes are named as `--grid`."""

    label = "--grid"


@dataclass(frozen=True)
class Grid:
    """Checked parameter names and values, in the order given; variants vary the last name fastest."""

    names: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]

    @property
    def size(self) -> int:
        return math.prod(len(v) for v in self.values)

    def points(self) -> Iterator[dict[str, Any]]:
        """Every combination (the cartesian product), as {name: value}."""
        for combination in itertools.product(*self.values):
            yield dict(zip(self.names, combination))


def parse_amount(value: Any, option: str = "budget") -> int:
    """A count written as 36479194, 10M, 2G, 1.5e9 or 500k (k, M, G, T: 10**3 .. 10**12, any case)
    as a whole number; ValueError saying what is accepted."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    else:
        match = _AMOUNT.match(str(value))
        if not match:
            raise ValueError(f"{option} must be a number such as 10M, 2G, 1.5e9 or 500000, got {value!r}")
        number = float(match.group(1)) * SUFFIXES.get(match.group(2).lower(), 1)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{option} must be a finite number >= 0, got {value!r}")
    return int(number)


def split_values(text: str) -> list[str]:
    """`16,22,28` -> ['16', '22', '28']; commas inside (), [] or quotes do not split (`B(3,3),B(1,3,1)`)."""
    parts, depth, quote, start = [], 0, "", 0
    for i, c in enumerate(text):
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c in "([{":
            depth += 1
        elif c in ")]}":
            depth = max(0, depth - 1)
        elif c == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p.strip() for p in parts]


def read_grid(pairs: Sequence[str]) -> CommandLineGrid:
    """`--grid NAME=V1,V2,...` options as {name: [values]}, each value read as one YAML scalar as a
    `--set` value is (archspec.language.params.read_overrides); OverrideError naming the --grid."""
    grid, wrong = CommandLineGrid(), []
    for pair in pairs:
        name, sep, text = pair.partition("=")
        name = name.strip()
        if not sep or not name:
            wrong.append(Diagnostic(f"expected NAME=V1,V2,..., got {pair!r} (from --grid)", None, ("<grid>",)))
            continue
        texts = split_values(text)
        if any(not t for t in texts):
            wrong.append(Diagnostic(f"an empty value in {text!r} (from --grid {name}=...)", None, ("params", name),
                                    "separate values with single commas: --grid depth=16,22,28"))
            continue
        if name in grid:
            wrong.append(Diagnostic(f"'{name}' is given twice (from --grid {name}=...)", None, ("params", name),
                                    "list all its values in one --grid"))
            continue
        values = []
        for t in texts:
            try:
                values.append(scalar_from_text(t))
            except SpecValueError as exc:
                wrong.append(Diagnostic(f"{exc.message} (from --grid {name}=...)", None, ("params", name), exc.hint))
        grid[name] = values
    if wrong:
        raise OverrideError(wrong)
    return grid


def check_grid(decls: Mapping[str, Any], blocks: Sequence[str], grid: Mapping[str, Sequence[Any]],
               fixed: Mapping[str, Any]) -> Grid:
    """The grid checked against the spec's parameter declarations: every name declared and not fixed by
    overrides, every value of its type and choices (duplicates dropped). Raise OverrideError with
    every mistake."""
    label = getattr(grid, "label", "grid=")
    given = (lambda name: f"{label} {name}=...") if label.startswith("--") else (lambda name: f"grid={{{name!r}: [...]}}")
    wrong: list[Diagnostic] = []

    def mistake(name: str, message: str, hint: str | None = None) -> None:
        wrong.append(Diagnostic(f"{message} (from {given(name)})", None, ("params", str(name)), hint))

    if not isinstance(grid, Mapping) or not grid:
        raise OverrideError([Diagnostic("a sweep needs a grid: at least one parameter with a list of values "
                                        "(--grid depth=16,22,28)", None, ("<grid>",))])
    names, values = [], []
    for name, raw in grid.items():
        if not isinstance(name, str) or name not in decls:
            mistake(name, f"unknown parameter '{name}'", did_you_mean(str(name), decls) or
                    f"the spec's parameters: {', '.join(decls) or 'none'}")
            continue
        if name in fixed:
            mistake(name, f"'{name}' is both swept and fixed by an override", "give it in one place")
            continue
        if isinstance(raw, (str, bytes)) or not isinstance(raw, Sequence) or not raw:
            mistake(name, f"'{name}' needs a non-empty list of values, got {show(raw)}")
            continue
        kept, typed_kept = [], []
        for value in raw:
            try:
                typed = coerce(name, decls[name], value, blocks)
            except SpecValueError as exc:
                mistake(name, exc.message, exc.hint)
                continue
            # a duplicate once read as the parameter's type (1 and 1.0 for an int, B(3,3) and B(3, 3)) counts once
            if not any(type(typed) is type(k) and typed == k for k in typed_kept):
                typed_kept.append(typed)  # a block keeps its spelling; other values are shown as their type
                kept.append(value if decls[name].type == "block" else typed)
        names.append(name)
        values.append(tuple(kept))
    if wrong:
        raise OverrideError(wrong)
    checked = Grid(tuple(names), tuple(values))
    if checked.size > MAX_VARIANTS:
        raise OverrideError([Diagnostic(f"the grid has {checked.size:,} variants, more than {MAX_VARIANTS:,}",
                                        None, ("<grid>",), "sweep fewer values at a time")])
    return checked
