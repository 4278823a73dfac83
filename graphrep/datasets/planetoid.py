"""Planetoid citation graphs (Cora, CiteSeer, PubMed), offline."""
from __future__ import annotations

import os

from graphrep.datasets._root import data_root, staged_copy

_NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
_RAW_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")


def load_planetoid(name: str, root: str | os.PathLike | None = None, **kwargs):
    """Loads a Planetoid dataset with its public split from
    ``<root>/planetoid/<Name>/raw/ind.<name>.*`` without downloading.

    Extra keyword arguments (``transform``, ``split``, ...) go to
    :class:`torch_geometric.datasets.Planetoid`.
    """
    from torch_geometric.datasets import Planetoid

    canonical = _NAMES.get(name.lower())
    if canonical is None:
        raise ValueError(f"name must be one of {sorted(_NAMES.values())}, got {name!r}")
    raw = [f"raw/ind.{canonical.lower()}.{part}" for part in _RAW_PARTS]
    folder = staged_copy(data_root(root), f"planetoid/{canonical}", raw)
    return Planetoid(str(folder.parent), canonical, **kwargs)
