"""Spec + values -> IR: the expander, composites, residual, naming."""
