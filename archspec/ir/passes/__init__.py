"""Passes over the IR graph. Each reads the graph and records its results in node['meta']."""
from .counts import count
from .liveness import mark_train_only
from .shapes import infer_node_shape, infer_shapes

__all__ = ["count", "infer_node_shape", "infer_shapes", "mark_train_only"]
