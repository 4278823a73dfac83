"""The node2vec protein-protein interaction graph (multi-label)."""
from __future__ import annotations

import os

import numpy as np

from graphrep.datasets._root import data_root, staged_copy

_EDGES = "node2vec_PPI.edgelist"
_LABELS = "node2vec_PPI_labels.txt"


def load_ppi(root: str | os.PathLike | None = None):
    """Loads node2vec's PPI graph from ``<root>/ppi/`` as an undirected PyG
    ``Data`` (3,890 nodes; file ids 1..3890 become rows 0..3889; self-loops
    dropped) with ``y`` a ``float[n, 50]`` multi-hot label matrix."""
    import torch
    from torch_geometric.data import Data

    from graphrep.graph import as_graph

    folder = staged_copy(data_root(root), "ppi", [_EDGES, _LABELS])
    edges = np.loadtxt(folder / _EDGES, usecols=(0, 1), dtype=np.int64) - 1
    memberships = []
    with open(folder / _LABELS) as handle:
        for line in handle:
            fields = [int(tok) for tok in line.split()]
            memberships += [(fields[0] - 1, label - 1) for label in fields[1:]]
    memberships = np.array(memberships, dtype=np.int64)
    num_nodes = int(max(edges.max(), memberships[:, 0].max())) + 1
    graph = as_graph(edges, num_nodes=num_nodes)
    y = np.zeros((num_nodes, int(memberships[:, 1].max()) + 1), dtype=np.float32)
    y[memberships[:, 0], memberships[:, 1]] = 1.0
    return Data(
        edge_index=torch.from_numpy(graph.edge_index()),
        y=torch.from_numpy(y),
        num_nodes=num_nodes,
    )
