"""The graph IR, its scope tree and its passes."""
