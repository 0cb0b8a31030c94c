"""The command line (typer): thin commands over the library."""
from ..collector import collector_paused

# A command's process: what importing made lives until it ends, so the cyclic collector need not scan it.
with collector_paused(settle="frozen"):
    from .app import app

__all__ = ["app"]
