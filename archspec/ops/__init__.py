"""The primitive IR ops (moved from archspec/ops.py; split into one module per op next)."""
from .registry import ACTIVATIONS, OPS, Op, Shape, ShapeError, conv_out_size, pool_out_size

__all__ = ["ACTIVATIONS", "OPS", "Op", "Shape", "ShapeError", "conv_out_size", "pool_out_size"]
