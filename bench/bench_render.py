"""Diagram rendering benchmarks: how long `archspec render` takes for a spec at each level.

    .venv/bin/python bench/bench_render.py                       # Inception-ResNet-v2, the largest spec
    .venv/bin/python bench/bench_render.py --spec specs/inception_v4.yaml --repeats 5 --json out.json

For each level (network, block, layer) it times, in this process, building the DOT source from the
compiled graph, writing SVG and PNG with graphviz's `dot`, and the whole render (compile + DOT + SVG);
and, as a separate process, the `archspec render SPEC -o FILE --level L` command, which adds Python's
start-up and imports (about 0.6 s here, the same for every level). Every time is the median of
--repeats runs after one warm-up, measured with time.perf_counter. Targets, on the whole render as SVG:
the layer level under 10 s and the network level under 1 s.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import archspec
from archspec.backends.graphviz.render import LEVELS, render, write
from machine import cpu_model  # bench/machine.py, next to this script

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SPEC = ROOT / "specs" / "inception_resnet_v2.yaml"
TARGETS_S = {"network": 1.0, "layer": 10.0}


def median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> dict:
    cpu = cpu_model()
    dot = subprocess.run(["dot", "-V"], capture_output=True, text=True)
    return {"cpu": cpu, "cpus": os.cpu_count(), "python": platform.python_version(),
            "graphviz": (dot.stderr or dot.stdout).strip(), "platform": platform.platform()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", type=Path, default=DEFAULT_SPEC)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()

    info = machine()
    print(f"machine: {info['cpu']}, {info['cpus']} CPUs, Python {info['python']}, {info['graphviz']}")
    compile_s = median_time(lambda: archspec.compile_spec(args.spec), args.repeats)
    spec, graph = archspec.compile_spec(args.spec)
    print(f"spec: {args.spec.name} ({graph.number_of_nodes()} ops); compile {compile_s * 1000:.0f} ms; "
          f"'nodes' counts the diagram's nodes and clusters (each has a tooltip)")
    results = {"machine": info, "spec": str(args.spec), "ops": graph.number_of_nodes(),
               "compile_s": compile_s, "levels": {}}
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'level':8} {'nodes':>6} {'DOT build':>10} {'dot svg':>9} {'dot png':>9} {'render svg':>11} "
              f"{'CLI svg':>9}  target (render svg)")
        for level in LEVELS:
            diagram = render(spec, graph, level)
            build_s = median_time(lambda: render(spec, graph, level), args.repeats)
            svg_s = median_time(lambda: write(diagram, Path(tmp) / f"{level}.svg"), args.repeats)
            png_s = median_time(lambda: write(diagram, Path(tmp) / f"{level}.png"), args.repeats)
            whole_s = median_time(lambda: write(render(*archspec.compile_spec(args.spec), level),
                                                Path(tmp) / f"whole_{level}.svg"), args.repeats)
            command = [sys.executable, "-m", "archspec", "render", str(args.spec), "-o",
                       str(Path(tmp) / f"cli_{level}.svg"), "--level", level]
            cli_s = median_time(lambda: subprocess.run(command, check=True, capture_output=True), args.repeats)
            nodes = diagram.source.count("tooltip=")
            target = TARGETS_S.get(level)
            passed = target is None or whole_s < target
            ok = ok and passed
            verdict = "" if target is None else f"< {target:g} s: {'PASS' if passed else 'FAIL'}"
            print(f"{level:8} {nodes:>6} {build_s * 1000:>8.0f}ms {svg_s:>8.2f}s {png_s:>8.2f}s {whole_s:>10.2f}s "
                  f"{cli_s:>8.2f}s  {verdict}")
            results["levels"][level] = {"tooltips": nodes, "dot_build_s": build_s, "svg_s": svg_s, "png_s": png_s,
                                        "render_svg_s": whole_s, "cli_svg_s": cli_s, "target_s": target,
                                        "pass": passed}
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
