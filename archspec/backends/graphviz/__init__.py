"""Diagrams at network, block and layer level."""
