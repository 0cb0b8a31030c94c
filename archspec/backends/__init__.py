"""Backends turn an IR graph into something else: a PyTorch module, a diagram, a table."""
