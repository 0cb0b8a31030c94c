"""Loading a user's op plugins: a Python module that calls archspec.register_op when imported.

A spec file never runs code, so plugins come only from Python (import the module yourself) or from the
command line's explicit `--plugin MODULE_OR_FILE.py`.
"""
from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType


class PluginError(Exception):
    """A plugin could not be imported or registers an incomplete op; the message says which and why."""


def load_plugin(name: str) -> ModuleType:
    """Import a plugin by module name (found from the current directory too) or by the path of a .py file."""
    try:
        if name.endswith(".py"):
            path = Path(name).resolve()
            if not path.is_file():
                raise PluginError(f"plugin file {name} does not exist")
            spec = importlib.util.spec_from_file_location(f"archspec_plugin_{path.stem}", path)
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            return module
        # The current directory, as `python -m` would see it; restored afterwards.
        sys.path.insert(0, str(Path.cwd()))
        try:
            return importlib.import_module(name)
        finally:
            sys.path.remove(str(Path.cwd()))
    except PluginError:
        raise
    except Exception as exc:  # an import error or a bug in the plugin: report it, naming the plugin
        raise PluginError(f"plugin {name}: {type(exc).__name__}: {exc}") from exc
