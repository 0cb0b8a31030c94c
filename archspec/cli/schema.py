"""`archspec schema`: the JSON Schema of spec files (or block library files), for editors."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from .paths import output_file, writing_to

SCHEMA_HELP = ('Print (or write with -o) the JSON Schema (draft-07) of spec files, for an editor\'s completion, '
               'hover help and inline errors.\n\n'
               'It is generated from the models archspec validates with and from the op registry, so ops loaded '
               'with --plugin are in it. It checks keys, argument names and literal types; names, expressions '
               'and shapes are `archspec validate`\'s (docs/editors.md). VS Code: put '
               '`# yaml-language-server: $schema=PATH` on a spec\'s first line.\n\n'
               'Example: archspec schema -o archspec.schema.json; archspec schema --library -o library.schema.json')


def _output(value: Optional[Path]) -> Optional[Path]:
    """-o FILE: a file archspec can write (paths.output_file), with this command's example for a folder."""
    if value is not None and value.is_dir():
        raise typer.BadParameter(f"'{value}' is a folder; give a file name such as {value / 'archspec.schema.json'}",
                                 param_hint="--out")
    return None if value is None else output_file(value)


def schema(output: Optional[Path] = typer.Option(None, "--out", "-o", help="Write the schema to this file "
                                                 "instead of printing it.", show_default=False,
                                                 callback=_output),
           library: bool = typer.Option(False, "--library", help="The schema of a block library file (imports:) "
                                        "instead of a spec.")) -> None:
    """Print the JSON Schema of spec files (or of block library files with --library)."""
    from ..language.editor import json_schema_text

    text = json_schema_text(library)
    if output is None:
        print(text, end="")
        return
    with writing_to(output):
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    print(f"wrote {output} ({'block library' if library else 'spec'} schema, JSON Schema draft-07)")
