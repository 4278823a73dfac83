"""email-Eu-core (SNAP) with its 42 department labels."""
from __future__ import annotations

import os

import numpy as np

from graphrep.datasets._root import data_root, staged_copy

_EDGES = "email-Eu-core.txt"
_LABELS = "email-Eu-core-department-labels.txt"


def load_email_eu(root: str | os.PathLike | None = None):
    """Loads email-Eu-core from ``<root>/email_eu/`` as an undirected PyG
    ``Data`` (1,005 nodes, self-loops dropped) with ``y`` the department."""
    import torch
    from torch_geometric.data import Data

    from graphrep.graph import as_graph

    folder = staged_copy(data_root(root), "email_eu", [_EDGES, _LABELS])
    labels = np.loadtxt(folder / _LABELS, dtype=np.int64)
    edges = np.loadtxt(folder / _EDGES, dtype=np.int64)
    graph = as_graph(edges, num_nodes=int(labels[:, 0].max()) + 1)
    y = np.empty(graph.num_nodes, dtype=np.int64)
    y[labels[:, 0]] = labels[:, 1]
    return Data(
        edge_index=torch.from_numpy(graph.edge_index()),
        y=torch.from_numpy(y),
        num_nodes=graph.num_nodes,
    )
