"""Pausing Python's cyclic garbage collector while archspec makes many objects that stay alive.

Importing archspec (pydantic models, networkx, the op registry) and compiling a spec (an IR node keeps
about ten tracked objects: attributes, provenance records) make objects that outlive the step. The
collector would scan them again and again on the way: at 10,000 blocks, full collections took half of a
compile's time and made it grow faster than the network (docs/benchmarks.md, "cost growth"). Paused, they
are scanned once after the step. Depends on nothing, so every stage may use it."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator, Literal


@contextmanager
def collector_paused(settle: Literal["none", "oldest", "frozen"] = "none") -> Iterator[None]:
    """Pause the cyclic collector for the block (nested uses are free); afterwards, with settle="oldest",
    move what exists to the oldest generation (scanned rarely), with "frozen" exempt it from collection for
    good (a command's process: what it imported lives until it ends). Objects someone else froze stay so."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if settle == "frozen":
            gc.freeze()
        elif settle == "oldest" and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if collecting:
            gc.enable()
