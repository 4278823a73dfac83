"""Small graphs shipped inside the package."""
from __future__ import annotations

from pathlib import Path

BUILTIN_GRAPHS = {"karate": "karate.edgelist"}


def builtin_graph_path(name: str) -> Path:
    """Path of a graph shipped with graphrep (``karate``: Zachary's karate
    club, 34 nodes, 78 edges), readable by :func:`graphrep.as_graph`.

    Example:
        >>> from graphrep import as_graph
        >>> as_graph(builtin_graph_path("karate")).num_edges
        78
    """
    if name not in BUILTIN_GRAPHS:
        raise ValueError(f"name must be one of {sorted(BUILTIN_GRAPHS)}, got {name!r}")
    return Path(__file__).parent / "data" / BUILTIN_GRAPHS[name]
