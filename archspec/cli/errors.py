"""How the command line ends on an error: a spec mistake is located messages and exit 1; a wrong
`--set` is the same messages and exit 2, as typer's own usage errors (a missing spec file among
them); anything else escaping a command is a bug in archspec: its traceback, a line saying so, what
it was compiling, and exit code BUG_EXIT."""
from __future__ import annotations

import functools
import os
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

import typer
from typer.exceptions import Abort, Exit, TyperException

from ..errors import OverrideError, SpecError

BUG_EXIT = 70  # EX_SOFTWARE in sysexits.h: an internal software error
USAGE_EXIT = 2  # a mistake on the command line, as click/typer exit for their own usage errors
REPORT_TO = "archspec's issue tracker"


def spec_error_exit(exc: SpecError) -> typer.Exit:
    """Print every diagnostic, one per line, and the count on stderr; the exit to raise: code 1, or
    USAGE_EXIT for a wrong `--set` (a mistake on the command line, not in the spec)."""
    for diagnostic in exc.diagnostics:
        print(f"error: {diagnostic}" if diagnostic.location is None else str(diagnostic), file=sys.stderr)
    if exc.more:
        print(exc.more_text(), file=sys.stderr)
    count = exc.count
    print(f"{count} error{'s' if count != 1 else ''}", file=sys.stderr)
    return typer.Exit(USAGE_EXIT if isinstance(exc, OverrideError) else 1)


def bug_exit(exc: BaseException, command: str, specs: list[str]) -> typer.Exit:
    """Print the traceback and the bug report lines on stderr; the exit to raise (code BUG_EXIT)."""
    traceback.print_exception(exc, file=sys.stderr)
    where = getattr(exc, "archspec_compiling", None)
    print(f"error: this is a bug in archspec, not a mistake in your spec ({type(exc).__name__} in "
          f"`archspec {command}`" + (f" on {', '.join(specs)}" if specs else "") + ").", file=sys.stderr)
    if where:
        print(f"  it happened while compiling {where}", file=sys.stderr)
    print(f"  Please report it to {REPORT_TO} with the spec file(s), the command line and the traceback above.",
          file=sys.stderr)
    return typer.Exit(BUG_EXIT)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a command: a SpecError ends it with exit 1 (2 for a wrong --set), any other exception is
    reported as a bug."""
    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (Exit, Abort, TyperException):
            raise
        except SpecError as exc:
            raise spec_error_exit(exc) from None
        except BrokenPipeError:  # the reader went away (`| head`): not a bug, and nothing more to write
            _stdout_discarded()
            raise typer.Exit(1) from None
        except Exception as exc:
            specs = [str(v) for k, v in kwargs.items() if k.startswith("spec") and isinstance(v, Path)]
            raise bug_exit(exc, command.__name__.rstrip("_"), specs) from None

    return run


def _stdout_discarded() -> None:
    """Point stdout at the null device, so that flushing it at exit does not fail on the closed pipe again."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # a stdout without a descriptor (a test runner's buffer)
        pass


def guard_commands(app: typer.Typer) -> None:
    """Wrap every command registered on app with `guarded`."""
    for command in app.registered_commands:
        command.callback = guarded(command.callback)
