"""graphrep: graph representation learning for PyTorch Geometric users.

Importing :mod:`graphrep` is cheap: it loads numpy and scipy only. The
subpackages (``orbits``, ``walks``, ``embed``, ``nn``, ``transforms``,
``datasets``, ``train``) are imported on first attribute access, and Numba
kernels compile lazily on first call (cached on disk).
"""
import importlib
import logging

from graphrep.graph import CSRGraph, GraphFormatError, as_graph

__version__ = "0.1.0"

__all__ = ["CSRGraph", "GraphFormatError", "as_graph", "__version__"]

_SUBPACKAGES = {"datasets", "embed", "io", "nn", "orbits", "train", "transforms", "walks"}

logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f"graphrep.{name}")
    raise AttributeError(f"module 'graphrep' has no attribute {name!r}")
