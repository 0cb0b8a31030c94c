"""The rich tables and total lines the CLI prints: stats, layer summaries and diffs."""
from __future__ import annotations

from rich.console import Console
from rich.table import Table

from ..analysis.shape_text import BATCHED_TEXT_ORDER, text_shape as shape


def _counted_table(title: str, first: str, second: str) -> Table:
    """A table of rows named in two columns, then output shape, params, MACs and share of MACs."""
    table = Table(title=title, title_justify="left")
    for column, justify in ((first, "left"), (second, "left"), ("output CxHxW", "left"),
                            ("params", "right"), ("MACs", "right"), ("% MACs", "right")):
        table.add_column(column, justify=justify)
    return table


def _counts(output, params: int, macs: int, total_macs: int) -> tuple[str, str, str, str]:
    return shape(output), f"{params:,}", f"{macs:,}", f"{100 * macs / (total_macs or 1):.1f}"


def summary_table(stats: dict) -> Table:
    outputs = [o["shape"] for o in stats.get("outputs", []) if not o.get("train_only")] or [stats["output"]]
    title = (f"{stats['name']}: input {shape(stats['input'])} (CxHxW) -> output{'s' if len(outputs) > 1 else ''} "
             + ", ".join(shape(o) for o in outputs))
    table = _counted_table(title, "stage", "block")
    for row in stats["stages"]:
        kind = row["kind"] + (" (training only)" if row.get("train_only") else "")
        table.add_row(row["name"], kind, *_counts(row["output"], row["params"], row["macs"], stats["macs"]))
    table.add_section()
    table.add_row("total", "", shape(stats["output"]), f"{stats['params']:,}", f"{stats['macs']:,}", "100.0")
    return table


def totals_line(stats: dict) -> str:
    line = (f"params {stats['params']:,} | MACs {stats['macs'] / 1e9:.3f} G ({stats['macs']:,}) | "
            f"FLOPs = 2 x MACs {stats['flops'] / 1e9:.3f} G")
    if stats["macs_train"] != stats["macs"]:
        line += f" | MACs in training (with auxiliary heads) {stats['macs_train']:,}"
    return line


SUMMARY_COLUMNS = {  # --columns name -> (header, justify); the name column always comes first
    "kind": ("op / block", "left"), "input": (f"input {BATCHED_TEXT_ORDER}", "left"),
    "output": (f"output {BATCHED_TEXT_ORDER}", "left"), "kernel": ("kernel HxW", "left"),
    "params": ("params", "right"), "macs": ("MACs", "right"), "share": ("% MACs", "right")}
DEFAULT_COLUMNS = ("kind", "output", "params", "macs", "share")


def summary_layers(summary, columns=DEFAULT_COLUMNS) -> Table:
    """The rows of an analysis.summary.Summary in the chosen columns, shapes N x C x H x W."""
    s = summary
    table = Table(title=f"{s.name}: input {shape(s.batched(s.input))} ({BATCHED_TEXT_ORDER}, N = batch {s.batch}) -> "
                        f"output{'s' if len(s.outputs) > 1 else ''} {', '.join(shape(s.batched(o)) for o in s.outputs)}, "
                        f"rows to depth {s.depth}; MACs per sample",
                  title_justify="left")
    table.add_column("name")
    for column in columns:
        table.add_column(SUMMARY_COLUMNS[column][0], justify=SUMMARY_COLUMNS[column][1])
    total = s.totals["macs"]
    for row in s.rows:
        label = "  " * (row.depth - 1) + (row.name.rsplit(".", 1)[-1] if row.depth > 1 else row.name)
        cells = {"kind": row.kind + (" (training only)" if row.train_only and row.name != "input" else ""),
                 "input": ", ".join(shape(s.batched(i)) for i in row.inputs), "output": shape(s.batched(row.output)),
                 "kernel": "x".join(map(str, row.kernel)) if row.kernel else "", "params": f"{row.params:,}",
                 "macs": f"{row.macs:,}", "share": f"{100 * row.macs / (total or 1):.1f}"}
        table.add_row(label, *(cells[c] for c in columns), style=None if row.leaf else "bold")
    table.add_section()
    cells = {"kind": f"{s.totals['ops']} ops", "input": "", "output": shape(s.batched(s.output)), "kernel": "",
             "params": f"{s.totals['params']:,}", "macs": f"{total:,}", "share": "100.0"}
    table.add_row("total", *(cells[c] for c in columns))
    return table


def _mb(count: int) -> str:
    return f"{count / 2**20:,.2f} MB"


def summary_totals_text(summary) -> str:
    """The lines under the table: parameters, MACs and FLOPs, memory at batch and dtype, init, convention."""
    from ..analysis.report import CONVENTION

    t, m, batch = summary.totals, summary.memory, summary.batch
    lines = [f"params: {t['params']:,} (trainable {t['trainable']:,}, non-trainable {t['non_trainable']:,}); "
             f"buffers: {t['buffers']:,} (running statistics, not parameters)",
             f"MACs: {t['macs']:,} ({t['macs'] / 1e9:.3f} G) per sample"
             + (f"; at batch {batch:,}: {batch * t['macs']:,}" if batch > 1 else ""),
             f"FLOPs = 2 x MACs: {t['flops']:,} ({t['flops'] / 1e9:.3f} G) per sample"]
    if t["macs_train"] != t["macs"]:
        lines.append(f"MACs in training (with auxiliary heads): {t['macs_train']:,}")
    lines.append(f"memory at batch {batch:,}, {summary.dtype} (1 MB = 2^20 bytes; docs/summary.md):")
    for key, text in (("input", "input"), ("params", "parameters"), ("buffers", "buffers"),
                      ("activations_inference", "activations, inference (peak of an eval forward)"),
                      ("activations_training", "activations, training (kept by autograd for backward)"),
                      ("gradients", "gradients"), ("total_inference", "total, inference (weights + peak)"),
                      ("total_training", "total, training (weights + gradients + kept; no optimizer state)")):
        lines.append(f"  {text:<66} {_mb(m[key]):>13}")
    return "\n".join(lines + init_lines(summary.init)) + f"\ncounting: {CONVENTION}"


def summary_text(name: str, graph) -> str:
    """`build`'s summary.txt: the layer table (depth 2, the default columns) and the lines under it (batch 1,
    float32), from one summary."""
    from ..analysis.summary import summarize
    summary = summarize(name, graph, 2)
    return table_text(summary_layers(summary)) + summary_totals_text(summary)


def init_lines(rows: list[dict]) -> list[str]:
    """The spec's initialisation, one line per op, tensor and initialiser (stats' "init" rows)."""
    if not rows:
        return ["init: PyTorch's defaults"]
    width = max(len(f"{r['op']}.{r['tensor']}") for r in rows)
    return ["init (tensors not listed: PyTorch's defaults):"] + [
        f"  {r['op'] + '.' + r['tensor']:<{width}}  {r['init']}  ({r['nodes']} node{'s' if r['nodes'] != 1 else ''})"
        for r in rows]


def table_text(table: Table, width: int = 120) -> str:
    import io
    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, force_terminal=False).print(table)
    return buffer.getvalue()


def signed(n: int) -> str:
    return f"{n:+,}" if n else "0"


def diff_tables(result) -> list[Table]:

    tables = []
    if result.values:
        values = Table(title="parameter values", title_justify="left")
        for column in ("parameter", "A", "B"):
            values.add_column(column)
        for key, a, b in result.values:
            values.add_row(key, str(a), str(b))
        tables.append(values)
    changed = [b for b in result.blocks if b.status != "same"]
    blocks = Table(title=f"blocks: {len(changed)} changed, {len(result.blocks) - len(changed)} unchanged",
                   title_justify="left")
    for column in ("block", "status", "uses A -> B", "details"):
        blocks.add_column(column)
    for b in changed:
        blocks.add_row(b.name, b.status, f"{b.uses[0]} -> {b.uses[1]}", "; ".join(b.changes))
    tables.append(blocks)

    def arrow(a: str, b: str) -> str:
        return a if a == b else f"{a or '-'} -> {b or '-'}"

    def kind(stage) -> str:
        return "" if stage is None else stage.block + (f" x{stage.count}" if stage.count > 1 else "")

    stages = Table(title=f"stages: {result.a} (A) -> {result.b} (B)", title_justify="left")
    for column, justify in (("stage", "left"), ("status", "left"), ("block (A -> B)", "left"),
                            ("output CxHxW (A -> B)", "left"), ("params A", "right"), ("params B", "right"),
                            ("params delta", "right"), ("MACs delta", "right")):
        stages.add_column(column, justify=justify, no_wrap=justify == "right")
    for s in result.stages:
        out_a = shape(s.a.output) if s.a else ""
        out_b = shape(s.b.output) if s.b else ""
        status = s.status + (" (inside)" if s.changes == ["widths or layers inside changed"] else "")
        stages.add_row(s.name, status, arrow(kind(s.a), kind(s.b)), arrow(out_a, out_b),
                       f"{s.a.params:,}" if s.a else "", f"{s.b.params:,}" if s.b else "",
                       signed(s.params_delta), signed(s.macs_delta), style=None if s.status != "same" else "dim")
    stages.add_section()
    (pa, pb), (ma, mb) = result.params, result.macs
    stages.add_row("total", "", "", "", f"{pa:,}", f"{pb:,}", signed(pb - pa), signed(mb - ma))
    tables.append(stages)
    return tables


def diff_totals(result) -> str:
    from ..analysis.report import CONVENTION

    (pa, pb), (ma, mb) = result.params, result.macs
    pct = lambda a, b: f" ({100 * (b - a) / a:+.1f} %)" if a else ""
    return (f"params: {pa:,} -> {pb:,}, delta {signed(pb - pa)}{pct(pa, pb)}\n"
            f"MACs: {ma:,} -> {mb:,}, delta {signed(mb - ma)}{pct(ma, mb)}\n"
            f"FLOPs = 2 x MACs: {2 * ma:,} -> {2 * mb:,}, delta {signed(2 * (mb - ma))}\n"
            f"counting: {CONVENTION}" + ("" if result.changed else "\nno differences"))


def _cell(value) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_cell(v)}" for k, v in value.items()) + "}"
    return str(value)


def explain_table(explanation) -> Table:
    """Each argument of a node (or parameter of a block use), its value and where it came from; values
    nobody wrote on the item (file defaults, built-in defaults, the auto projection) stand out."""
    title = (f"{explanation.name}: {explanation.kind} ({explanation.what}), written at {explanation.loc}")
    table = Table(title=title, title_justify="left")
    for column in ("argument", "value", "from", "where"):
        table.add_column(column, overflow="fold")
    styles = {"default": "bold yellow", "auto": "bold yellow", "op": "dim"}
    for row in explanation.arguments + explanation.names:
        source = row.source + (f" `{row.written}`" if row.written else "")
        table.add_row(row.name, _cell(row.value), source, row.where, style=styles.get(row.origin))
        if explanation.arguments and row is explanation.arguments[-1] and explanation.names:
            table.add_section()
    return table


PASS_TEXT = {"eval_only": "drop what eval never runs", "fold_bn": "fold batch norms into convs",
             "fold_scale": "fold residual scales into convs", "fuse_siblings": "fuse sibling 1x1 convs",
             "inplace": "run adds and activations in place"}


def optimize_table(report: dict) -> Table:
    """What `archspec build --optimize` prints: each pass and what it changed, then the IR before and after."""
    table = Table(title="Inference optimization passes (docs/optimize.md)", title_justify="left")
    table.add_column("pass")
    table.add_column("what")
    table.add_column("changes")
    for name, changes in report["passes"].items():
        text = ", ".join(f"{key.replace('_', ' ')} {value:,}" for key, value in changes.items() if value) or "nothing"
        table.add_row(name, PASS_TEXT.get(name, ""), text)
    before, after = report["before"], report["after"]
    for key in ("nodes", "params", "macs"):
        label = {"nodes": "ops", "macs": "MACs"}.get(key, key)
        table.add_row("", f"{label} before -> after", f"{before[key]:,} -> {after[key]:,}")
    return table
