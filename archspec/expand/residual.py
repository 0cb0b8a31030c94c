"""The residual composite: act(shortcut(x) + scale * drop_path(body(preact(x))))."""
from __future__ import annotations

from ..errors import Diagnostic
from ..language import schema as L
from ..language.init import zero_init_last
from .expander import Expander
from ..language.items import PRIMITIVES
from ..ops import conv_out_size, OPS
from ..language.syntax import Residual
from ..language.walk import Env, POISON, Value


def projection_stride(size_in: tuple[int, int], size_out: tuple[int, int]) -> tuple[int, int] | None:
    """The stride of a 1x1 unpadded conv that maps size_in to size_out, if one exists."""
    stride = []
    for n, m in zip(size_in, size_out):
        s = _smallest_stride(n, m)
        if s is None:
            return None
        stride.append(s)
    return stride[0], stride[1]


def _smallest_stride(n: int, m: int) -> int | None:
    """The smallest s in 1..n with conv_out_size(n, 1, s, 0) == (n - 1) // s + 1 == m, computed rather than
    searched (sizes may be billions: an upsample makes them so)."""
    if n < 1 or m < 1:
        return None
    s = (n - 1) // m + 1  # the smallest s with (n - 1) // s <= m - 1
    return s if s <= n and conv_out_size(n, 1, s, 0) == m else None


def expand_residual(ex: Expander, node: Residual, name: str, env: Env, x: Value) -> Value:
    """act(shortcut(x) + scale * drop_path(body(preact(x)))), its parts named in the residual's scope.
    With `shortcut: if_same` and a body that changes the shape there is no addition: the body's
    output (then act) is the result."""
    args = ex.validate(L.ResidualArgs, node.options, {}, node.key_path, env)
    if args is None:
        return POISON
    base = node.key_path
    part = ex.namer.part  # the parts' names are claimed in order, in the residual's scope (see naming)
    pre = ex.seq(node.preact, part(name, "preact"), env, x) if node.preact else x
    out = ex.seq(node.body, name, env, pre)

    shortcut = args.shortcut
    if isinstance(shortcut, list):
        skip = ex.seq(node.shortcut, part(name, "shortcut"), env, pre)
    elif shortcut == "identity":
        skip = x
        if x.shape is not None and out.shape is not None and x.shape != out.shape:
            return _identity_mismatch(ex, base + ("shortcut",), env, x, pre, out)
    elif shortcut == "auto":
        skip = _auto_shortcut(ex, args, base, part(name, "shortcut"), env, x, pre, out)
    elif shortcut == "if_same":
        if x.shape is None or out.shape is None:
            return POISON
        skip = x if x.shape == out.shape else None
    else:
        return ex.error(env, base + ("shortcut",), L.bad_shortcut(shortcut))
    if skip is not None:
        if env.init and zero_init_last(env.init) is not None:  # only where there is an addition to start from
            _zero_init_last(ex, node, env, pre, out)
        if args.scale != 1.0:
            out = ex.emit(part(name, "scale"), "scale", {"factor": args.scale}, [out], env, base + ("scale",))
        if args.drop_path > 0:
            out = _drop_path(ex, args.drop_path, part(name, "drop_path"), env, base + ("drop_path",), out)
        out = ex.emit(part(name, "add"), "add", {}, [out, skip], env, base)
    if args.act != "none":
        out = ex.emit(part(name, "act"), "act", {"fn": args.act}, [out], env, base + ("act",))
    return out


def _drop_path(ex: Expander, rate: float, name: str, env: Env, where: tuple, x: Value) -> Value:
    """The `drop_path` op with rate `rate` on x (the residual branch, before the addition)."""
    spec = PRIMITIVES["drop_path"]
    args = ex.validate(spec.model, {"p": rate}, {}, where, env)
    if args is None or x.shape is None:
        return POISON
    op = spec.op_for(x.shape)
    return ex.emit(name, op.name, op.attrs("drop_path", args, x.shape), [x], env, where)


def _auto_shortcut(ex: Expander, args: L.ResidualArgs, base: tuple, name: str, env: Env, x: Value,
                   pre: Value, out: Value) -> Value:
    """Identity when shapes agree, else a 1x1 projection of the (pre-activated) input, named `name`."""
    where = base + ("shortcut",)
    defaults, dpath = env.defaults.get("conv", ({}, ()))
    sources = {**{(k,): dpath + (k,) for k in defaults},  # what explain reports: file default, auto, projection
               **{(k,): where for k in ("out", "kernel", "stride", "bn", "act")},
               **{(k,): base + ("projection", k) for k in args.projection}}
    if x.shape is None or out.shape is None or pre.shape is None:
        return POISON
    if x.shape == out.shape:
        return x
    if len(out.shape) != 3 or len(pre.shape) != 3:
        return ex.error(env, where, "an 'auto' shortcut needs feature maps on both sides")
    stride = projection_stride(pre.shape[1:], out.shape[1:])
    if stride is None:
        return ex.error(env, where, f"an 'auto' shortcut cannot map {pre.shape[1]}x{pre.shape[2]} to "
                                    f"{out.shape[1]}x{out.shape[2]} with a strided 1x1 conv",
                        "write the shortcut explicitly")
    data = {**defaults, "out": out.shape[0], "kernel": 1, "stride": list(stride), "bn": False, "act": "none",
            **args.projection}
    return ex.conv_unit(data, sources, name, env, pre, where)


# Ops that pass a zero through unchanged, between a body's last norm (or layer scale) and its output.
_PASS_ZERO = ("dropout", "drop_path", "identity", "scale")


def _zero_init_last(ex: Expander, node: Residual, env: Env, pre: Value, out: Value) -> None:
    """`zero_init_last`: the body's last norm or layer scale starts with a zero scale, so the block
    starts as its shortcut. Found walking back from the body's output through ops that keep a zero."""
    graph, name = ex.graph, out.node
    while name is not None and name != pre.node:
        data = graph.nodes[name]
        opdef = OPS[data["op"]]
        if opdef.category == "norm" or "layer_scale" in (opdef.name, *opdef.items):
            if data["attrs"].get("affine", True):
                data.setdefault("init", {})["weight"] = {"fn": "zeros", "why": "zero_init_last"}
                return
            break
        if data["op"] not in _PASS_ZERO or len(data["inputs"]) != 1:
            break
        name = data["inputs"][0]
    if out.node is None:
        return
    ends = f"ends in {graph.nodes[name]['op']}" if name is not None and name != pre.node else "reaches its input"
    path = node.key_path  # once per residual item, whatever block use it is expanded in
    ex.sink.add(Diagnostic(f"zero_init_last: this residual body {ends}, not in a norm (with a scale) or a "
                           f"layer scale", env.doc.loc(path), path,
                           "end the body with bn/layer_scale, or set `zero_init_last: false` in an init "
                           "that covers it"))


def _identity_mismatch(ex: Expander, where: tuple, env: Env, x: Value, pre: Value, out: Value) -> Value:
    """An identity shortcut around a body that changes the shape: say what changed and what to write."""
    text = lambda shape: "x".join(map(str, shape))
    if len(out.shape) == 3 and len(pre.shape) == 3 and projection_stride(pre.shape[1:], out.shape[1:]):
        hint = "write `shortcut: auto` for a 1x1 projection conv where the shape changes, or a list of items"
    else:
        hint = "keep the body's spatial size with `padding: same`, or write the shortcut as a list of items"
    return ex.error(env, where, f"an identity shortcut needs the body to keep the shape, but it maps "
                                f"{text(x.shape)} to {text(out.shape)}", hint)
