"""The command line (typer): thin commands over the library."""
import gc

# A command's process: what importing made lives until it ends, so the cyclic collector need not scan it,
# on the way or after (archspec/__init__.py does the same for its own imports).
gc.disable()
from .app import app  # noqa: E402

gc.freeze()
gc.enable()

__all__ = ["app"]
