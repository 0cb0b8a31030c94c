"""How validated primitive arguments become IR op attributes."""
from __future__ import annotations

from typing import Any

from . import language as L


def _padding(padding: Any, kernel: tuple[int, int], dilation: tuple[int, int] = (1, 1)) -> tuple[int, int]:
    if padding == "valid":
        return (0, 0)
    if padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))  # type: ignore[return-value]
    return tuple(padding)  # type: ignore[return-value]


def conv_attrs(args: L.ConvArgs, in_ch: int) -> dict:
    return {"in_ch": in_ch, "out_ch": args.out, "kernel": args.kernel, "stride": args.stride,
            "padding": _padding(args.padding, args.kernel, args.dilation), "dilation": args.dilation,
            "groups": args.groups, "bias": args.bias}


def primitive_node(key: str, args: Any, x: Any) -> tuple[str, dict]:
    """(op, attrs) of the single IR node a non-conv primitive item becomes."""
    shape = x.shape or (0,)
    if key == "bn":
        return "batchnorm2d", {"channels": shape[0], "eps": args.eps, "momentum": args.momentum,
                               "affine": args.affine}
    if key in ("maxpool", "avgpool"):
        stride = args.stride or args.kernel
        attrs = {"kernel": args.kernel, "stride": stride, "ceil_mode": args.ceil_mode}
        if key == "maxpool":
            attrs["padding"] = _padding(args.padding, args.kernel, args.dilation)
            attrs["dilation"] = args.dilation
            return "maxpool2d", attrs
        attrs["padding"] = _padding(args.padding, args.kernel)
        attrs["count_include_pad"] = args.count_include_pad
        return "avgpool2d", attrs
    if key in ("global_avgpool", "global_maxpool"):
        return "global_pool", {"mode": key[len("global_"):-len("pool")], "keepdim": args.keepdim}
    if key == "dropout":
        return "dropout", {"p": args.p}
    if key == "linear":
        return "linear", {"in_features": shape[0], "out_features": args.out, "bias": args.bias}
    if key == "scale":
        return "scale", {"factor": args.factor}
    if key in ("flatten", "identity"):
        return key, {}
    return "act", {"fn": args.fn}
