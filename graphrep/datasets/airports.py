"""Airports air-traffic graphs with structural-role labels (struc2vec)."""
from __future__ import annotations

import os

from graphrep.datasets._root import data_root, staged_copy

AIRPORTS = ("usa", "europe", "brazil")


def load_airports(name: str, root: str | os.PathLike | None = None, **kwargs):
    """Loads ``Airports(name)`` (usa, europe or brazil; labels are activity
    quartiles) from ``<root>/airports/<name>/raw/`` without downloading.

    Extra keyword arguments go to :class:`torch_geometric.datasets.Airports`.
    """
    from torch_geometric.datasets import Airports

    name = name.lower()
    if name not in AIRPORTS:
        raise ValueError(f"name must be one of {AIRPORTS}, got {name!r}")
    raw = [f"raw/{name}-airports.edgelist", f"raw/labels-{name}-airports.txt"]
    folder = staged_copy(data_root(root), f"airports/{name}", raw)
    return Airports(str(folder.parent), name, **kwargs)
