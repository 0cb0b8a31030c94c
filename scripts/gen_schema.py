"""Rewrite the shipped editor schemas, docs/archspec.schema.json (spec files) and
docs/archspec-library.schema.json (block library files), from the models and the op registry (never edit
them by hand).

    .venv/bin/python scripts/gen_schema.py      # or: make schema

tests/language/test_editor_schema.py fails while a file and `archspec schema` disagree.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from archspec.language.editor import json_schema_text  # noqa: E402

FILES = {False: ROOT / "docs" / "archspec.schema.json", True: ROOT / "docs" / "archspec-library.schema.json"}

if __name__ == "__main__":
    for library, path in FILES.items():
        path.write_text(json_schema_text(library), encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
