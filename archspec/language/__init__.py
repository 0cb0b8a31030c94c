"""The spec language: document schema, expressions, parameters, item vocabulary."""
