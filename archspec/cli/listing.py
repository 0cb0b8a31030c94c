"""`archspec list`: the shipped specs (the names `archspec.create_model` takes), counted without weights."""
from __future__ import annotations

import json
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from .common import run_spec
from ..analysis.shape_text import text_shape

LIST_HELP = ("List the shipped specs, the names archspec.create_model(NAME) builds: name, parameters, MACs "
             "(multiply-accumulates of convs and linears at batch 1), input CxHxW and the spec's description, "
             "counted without building the network or any weight.\n\n"
             "PATTERN filters the names: shell-style ('inception_v*'), or without * ? [ a part of the name.\n\n"
             "Example: archspec list resnet")


def list_(pattern: Optional[str] = typer.Argument(None, help="Show only names matching this, e.g. 'inception*' "
                                                  "or 'resnet'.", show_default=False),
          as_json: bool = typer.Option(False, "--json", help="Print a JSON list of objects instead of a table."),
          ) -> None:
    from ..registry import list_models, model_info

    names = list_models(pattern)
    if not names:
        typer.echo(f"error: no shipped spec matches {pattern!r}; `archspec list` shows them all "
                   f"({', '.join(list_models())})", err=True)
        raise typer.Exit(2)
    infos = [run_spec(lambda name=name: model_info(name)) for name in names]
    if as_json:
        print(json.dumps([{"name": i.name, "params": i.params, "macs": i.macs, "input": list(i.input),
                           "description": i.description} for i in infos]))
        return
    table = Table(title=f"{len(infos)} shipped spec(s): archspec.create_model(NAME)", title_justify="left")
    for column, justify in (("name", "left"), ("params", "right"), ("MACs", "right"), ("input CxHxW", "left"),
                            ("description", "left")):
        table.add_column(column, justify=justify)
    for i in infos:
        table.add_row(i.name, f"{i.params / 1e6:.2f} M", f"{i.macs / 1e9:.2f} G", text_shape(i.input), i.description)
    Console(width=max(120, Console().width)).print(table)
