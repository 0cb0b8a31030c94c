"""The command line (typer): thin commands over the library."""
import gc

# A command's process: what importing made lives until it ends, so the cyclic collector need not scan it,
# on the way or after (archspec/__init__.py pauses it for its own imports too).
_collecting = gc.isenabled()
gc.disable()
try:
    from .app import app
finally:
    gc.freeze()
    if _collecting:
        gc.enable()

__all__ = ["app"]
