"""Where `archspec build` writes, and what it writes besides the tables: the diagrams and the weights.

The spec's own values go to OUT/<name>/; values given with --set go to a directory of their own,
OUT/<name>-<key>=<value>-.../ (keys sorted), so builds of one spec with other values never overwrite each
other. A value with characters other than letters, digits, `.`, `_` and `+` (or a name longer than
MAX_SLUG characters) is written with those characters as `_`, shortened, and followed by 8 hex digits of a
hash of all the --set values, so two different sets of values never share a directory.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Mapping

from ..atomic import atomic_write

SAFE = re.compile(r"^[A-Za-z0-9._+]+$")
MAX_SLUG = 60


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def values_slug(overrides: Mapping[str, Any]) -> str:
    """`depth=16-k=2` for {"k": 2, "depth": 16}; see the module docstring for other values."""
    parts = [f"{key}={_text(overrides[key])}" for key in sorted(overrides)]
    slug = "-".join(parts)
    if all(SAFE.match(_text(overrides[key])) for key in overrides) and len(slug) <= MAX_SLUG:
        return slug
    digest = hashlib.sha256(json.dumps({k: overrides[k] for k in sorted(overrides)}).encode()).hexdigest()[:8]
    readable = "-".join(re.sub(r"[^A-Za-z0-9._+=]", "_", part) for part in parts)[:MAX_SLUG - 9].rstrip("-")
    return f"{readable}-{digest}"


def write_text(path: Path, text: str) -> None:
    """Write a build artifact atomically (archspec.atomic: a temporary file in the same folder, then
    os.replace), so a reader (or a concurrent build of the same values) never sees half a file."""
    atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def build_dir(out: Path, name: str, overrides: Mapping[str, Any]) -> Path:
    """OUT/<name>/ without --set values, OUT/<name>-<values slug>/ with them."""
    return out / (f"{name}-{values_slug(overrides)}" if overrides else name)


def draw_diagrams(loaded, graph) -> list:
    """The network and block diagrams (not written yet); a spec's diagram keys that do not fit it (a
    `draw_order:` that is no order of its block's branches) are a spec mistake: one line, exit 1."""
    import typer

    from ..backends.graphviz.render import render, RenderError

    try:
        return [(render(loaded, graph, level), stem) for level, stem in (("network", "network"), ("block", "blocks"))]
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None


def check_diagram_keys(loaded, graph) -> None:
    """What `archspec validate` adds to compiling: the diagram keys are checked where they are used (a
    `draw_order:` against its block's output merge, as the block diagram reads it); a mistake exits 1."""
    import typer

    from ..backends.graphviz.blocks import draw_orders
    from ..backends.graphviz.common import RenderError

    try:
        draw_orders(loaded, graph, "")
    except RenderError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise typer.Exit(1) from None


def write_diagrams(diagrams: list, target: Path) -> list[str]:
    """draw_diagrams' diagrams as SVG, or as DOT source (one line saying so) when `dot` is missing."""
    from ..backends.graphviz.render import INSTALL_HINT, RenderError, write

    if shutil.which("dot"):
        try:
            return [write(diagram, target / f"{stem}.svg", atomic=True).name for diagram, stem in diagrams]
        except RenderError as exc:
            print(f"note: {exc}; writing DOT source instead", file=sys.stderr)
    names = [write(diagram, target / f"{stem}.dot", atomic=True).name for diagram, stem in diagrams]
    if not shutil.which("dot"):
        print(f"note: graphviz's `dot` was not found, so the diagrams are DOT source ({', '.join(names)}): "
              f"{INSTALL_HINT} to get SVG (`archspec render` draws any of them later)", file=sys.stderr)
    return names


def write_weights(graph, path: Path, seed: int, option: str = "--weights") -> str:
    """Build the trainable model of a compiled graph under seed and save its weights as a checkpoint
    (archspec.save_weights); the line to print. The caller has run build_model's allocation guard on the
    graph (analysis.memory.check_allocation). A failed write is a mistake in option."""
    import typer

    from .. import CheckpointError, save_weights
    from ..backends.torch.network import module_from_graph
    from .paths import writing_to

    model = module_from_graph(graph, seed)
    try:
        with writing_to(path, option):  # a failed write is a mistake on the command line (exit 2)
            written = save_weights(model, path)
    except CheckpointError as exc:  # the path became something other than a regular file since it was checked
        raise typer.BadParameter(str(exc), param_hint=option) from None
    return f"wrote {written} (initial weights, seed {seed}, spec hash {model.spec_hash[:12]})"
