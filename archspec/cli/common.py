"""What the commands share: the SPEC argument, --set, and running a command body so that a spec mistake
exits 1 with located messages."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, List, Optional

import typer

from .errors import spec_error_exit
from .paths import existing_file
from ..errors import SpecError


def existing_spec(value: Optional[Path]) -> Optional[Path]:
    """A regular file, or `archspec:NAME` (a shipped library); a missing file, a directory, a device or
    a FIFO is a command-line mistake (exit 2), like typer's own usage errors (see paths.py)."""
    return existing_file(value)


SPEC_ARG = typer.Argument(..., help="Path to a spec YAML file, e.g. specs/inception_v4.yaml.",
                          show_default=False, callback=existing_spec)
SET_OPT = typer.Option(None, "--set", metavar="KEY=VALUE",
                       help="Override a spec parameter (repeatable), e.g. --set classes=10 --set size=224. "
                            "VALUE is read as a YAML scalar: 10, 0.5, true, text.")


def overrides_from(pairs: Optional[List[str]]) -> dict[str, Any]:
    """KEY=VALUE pairs; each VALUE is read as a YAML scalar, as in a spec file (a bad number: exit 2)."""
    from ..language.params import read_overrides

    split = []
    for pair in pairs or []:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise typer.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint="--set")
        split.append((key.strip(), raw))
    return read_overrides(split)


def run_spec(action: Callable[[], Any]) -> Any:
    """Run a command body; a SpecError becomes its located messages on stderr and exit code 1 (2 for a
    wrong --set)."""
    try:
        return action()
    except SpecError as exc:
        raise spec_error_exit(exc) from None
