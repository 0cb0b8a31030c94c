"""The residual composite: act(shortcut(x) + scale * body(preact(x)))."""
from __future__ import annotations

from ..language import schema as L
from .expander import Expander
from ..ops import conv_out_size
from ..language.syntax import Residual
from ..language.walk import Env, POISON, Value


def projection_stride(size_in: tuple[int, int], size_out: tuple[int, int]) -> tuple[int, int] | None:
    """The stride of a 1x1 unpadded conv that maps size_in to size_out, if one exists."""
    stride = []
    for n, m in zip(size_in, size_out):
        s = next((s for s in range(1, n + 1) if conv_out_size(n, 1, s, 0) == m), None)
        if s is None:
            return None
        stride.append(s)
    return stride[0], stride[1]


def expand_residual(ex: Expander, node: Residual, name: str, env: Env, x: Value) -> Value:
    """act(shortcut(x) + scale * body(preact(x))), its parts named in the residual's scope."""
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
    else:
        return ex.error(env, base + ("shortcut",), f"shortcut must be 'identity', 'auto' or a list of items, "
                                                   f"got {shortcut!r}")
    if args.scale != 1.0:
        out = ex.emit(part(name, "scale"), "scale", {"factor": args.scale}, [out], env, base + ("scale",))
    y = ex.emit(part(name, "add"), "add", {}, [out, skip], env, base)
    if args.act != "none":
        y = ex.emit(part(name, "act"), "act", {"fn": args.act}, [y], env, base + ("act",))
    return y


def _auto_shortcut(ex: Expander, args: L.ResidualArgs, base: tuple, name: str, env: Env, x: Value,
                   pre: Value, out: Value) -> Value:
    """Identity when shapes agree, else a 1x1 projection of the (pre-activated) input, named `name`."""
    where = base + ("shortcut",)
    sources = {(k,): base + ("projection", k) for k in args.projection}
    defaults = env.defaults.get("conv", ({}, ()))[0]
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


def _identity_mismatch(ex: Expander, where: tuple, env: Env, x: Value, pre: Value, out: Value) -> Value:
    """An identity shortcut around a body that changes the shape: say what changed and what to write."""
    text = lambda shape: "x".join(map(str, shape))
    if len(out.shape) == 3 and len(pre.shape) == 3 and projection_stride(pre.shape[1:], out.shape[1:]):
        hint = "write `shortcut: auto` for a 1x1 projection conv where the shape changes, or a list of items"
    else:
        hint = "keep the body's spatial size with `padding: same`, or write the shortcut as a list of items"
    return ex.error(env, where, f"an identity shortcut needs the body to keep the shape, but it maps "
                                f"{text(x.shape)} to {text(out.shape)}", hint)
