"""The PyTorch backend: a module hierarchy with generated forwards."""
