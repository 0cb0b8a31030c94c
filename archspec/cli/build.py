"""`archspec build`: validate, compile, print the summary and write the artifacts."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import typer
from rich.console import Console

from .common import overrides_from, run_spec, SET_OPT, SPEC_ARG
from .paths import output_dir, weights_file, writing_to
from .tables import optimize_table, summary_table, summary_text, totals_line

BUILD_HELP = ('Validate SPEC, compile it to a PyTorch module, print the summary table and write artifacts.\n\n'
              'OUT/<name>/ gets summary.json, ir.json, ir.txt, summary.txt (the layer summary), network.svg and '
              "blocks.svg (the diagrams; DOT source instead when graphviz's `dot` is missing). With --set values "
              "they go to OUT/<name>-<key>=<value>-.../ instead, so other values never overwrite them.\n\n"
              "With --save-weights or --weights, a model too large to allocate (the params and memory limits, as "
              "archspec.build_model checks them) is refused (exit 1) before any artifact is written, and so is "
              "a weights path that is not a regular file or is SPEC itself (exit 2).\n\n"
              "With --optimize, the inference optimization passes run on the IR too (docs/optimize.md): a table says "
              "what each did (batch norms folded, sibling convs fused, ...), with params and ops before and after, and "
              "ir.optimized.txt is written beside ir.txt. Weights (--save-weights) stay those of the unoptimized "
              "model: archspec.optimize(model) derives the optimized tensors from them.")


def build(spec: Path = SPEC_ARG, set_: Optional[List[str]] = SET_OPT,
          out: Path = typer.Option(Path("build"), "--out", "-o", callback=output_dir,
                                   help="Artifacts go to OUT/<spec name>/ (summary.json, ir.json, ir.txt, "
                                        "summary.txt, network.svg, blocks.svg), or OUT/<name>-<key>=<value>-.../ "
                                        "with --set values."),
          save_weights: bool = typer.Option(False, "--save-weights", help="Also write weights.pt there: initial "
                                            "weights (seed --seed) with the spec's name, values and hash."),
          weights: Optional[Path] = typer.Option(None, "--weights", metavar="FILE",
                                                 help="Write the weights to FILE instead (implies --save-weights); "
                                                      "a regular file there is replaced."),
          seed: int = typer.Option(0, "--seed", min=0, max=2**64 - 1,
                                   help="Seed of the weights --save-weights writes, 0 to 2**64 - 1."),
          optimize: bool = typer.Option(False, "--optimize", help="Also run the inference optimization passes: "
                                        "print what they change and write ir.optimized.txt (weights stay unoptimized)."),
          ) -> None:
    """Validate SPEC, compile it to a PyTorch module, print the summary table and write artifacts."""
    from .. import compile_spec
    from ..analysis.memory import check_allocation
    from ..backends.torch.network import verify_on_meta
    from ..ir.graph import dumps_json, to_text
    from ..analysis.report import CONVENTION, stats_dict
    from .outputs import build_dir, draw_diagrams, write_diagrams, write_text, write_weights
    from ..optimization import optimize_graph
    from ..pipeline import debug_enabled

    overrides = overrides_from(set_)
    if weights is not None:
        weights_file(weights, spec)
    loaded, graph = run_spec(lambda: compile_spec(spec, overrides))
    stats = stats_dict(loaded, graph)
    built_params = run_spec(lambda: verify_on_meta(graph))  # the real module on the meta device: no weights
    target = build_dir(out, stats["name"], overrides)
    checkpoint = None
    if save_weights or weights:  # refused before anything is written, so no artifact is left half updated
        checkpoint = weights or weights_file(target / "weights.pt", spec, "--save-weights")
        run_spec(lambda: check_allocation(graph))
    if optimize:  # the passes on the IR only: no weights (archspec.optimize(model) fills them)
        optimized, report = run_spec(lambda: optimize_graph(graph, debug_enabled()))
    drawn = draw_diagrams(loaded, graph)  # a diagram key that does not fit: exit 1 before anything is written
    console = Console(width=max(110, Console().width))
    console.print(summary_table(stats))
    console.print(totals_line(stats))
    console.print(f"[dim]{CONVENTION}[/dim]")
    with writing_to(out):  # a failed write is a mistake in --out (exit 2), not a bug
        target.mkdir(parents=True, exist_ok=True)
        write_text(target / "summary.json", json.dumps(stats, indent=2) + "\n")  # each atomically
        write_text(target / "ir.json", dumps_json(graph) + "\n")
        write_text(target / "ir.txt", to_text(graph))
        write_text(target / "summary.txt", summary_text(loaded.name, graph) + "\n")
        diagrams = write_diagrams(drawn, target)
        if optimize:
            write_text(target / "ir.optimized.txt", to_text(optimized))
            diagrams.append("ir.optimized.txt")
    console.print(f"compiled the PyTorch module ({built_params:,} parameters; built on the meta device, so no "
                  "weights were initialised: archspec.build_model gives a trainable one)")
    if optimize:
        console.print(optimize_table(report))
    console.print(f"wrote {target}/summary.json, ir.json, ir.txt, summary.txt, {', '.join(diagrams)}")
    if checkpoint is not None:
        option = "--weights" if weights else "--save-weights"
        console.print(run_spec(lambda: write_weights(graph, checkpoint, seed, option)), highlight=False)
