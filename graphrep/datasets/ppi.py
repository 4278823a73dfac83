"""The node2vec protein-protein interaction graph (multi-label)."""
from __future__ import annotations

import os

import numpy as np

from graphrep.datasets._root import DatasetFormatError, data_root, dataset_folder, read_int_rows

_EDGES = "node2vec_PPI.edgelist"
_LABELS = "node2vec_PPI_labels.txt"


def load_ppi(root: str | os.PathLike | None = None):
    """Loads node2vec's PPI graph from ``<root>/ppi/`` as an undirected PyG
    ``Data`` (3,890 nodes; file ids 1..3890 become rows 0..3889; self-loops
    dropped; the weight column is ignored) with ``y`` a ``float[n, 50]``
    multi-hot label matrix.

    Raises:
        DatasetNotFoundError: a file is missing.
        DatasetFormatError: a malformed line or an id below 1; the message
            names the file and line.
    """
    import torch
    from torch_geometric.data import Data

    from graphrep.graph import as_graph

    folder = dataset_folder(data_root(root), "ppi", [_EDGES, _LABELS])
    edges, edge_lines = read_int_rows(folder / _EDGES, min_columns=2, max_columns=3, ints=2)
    edges = np.array(edges, dtype=np.int64) - 1
    _check_positive_ids(edges, edge_lines, folder / _EDGES, "node ids")
    rows, label_lines = read_int_rows(folder / _LABELS, min_columns=1)
    memberships = np.array([(row[0] - 1, label - 1) for row in rows for label in row[1:]], dtype=np.int64)
    memberships = memberships.reshape(-1, 2)
    member_lines = [line for row, line in zip(rows, label_lines) for _ in row[1:]]
    _check_positive_ids(memberships, member_lines, folder / _LABELS, "node ids and labels")
    num_nodes = int(max(edges.max(), max(row[0] for row in rows) - 1)) + 1
    graph = as_graph(edges, num_nodes=num_nodes)
    y = np.zeros((num_nodes, int(memberships[:, 1].max(initial=-1)) + 1), dtype=np.float32)
    y[memberships[:, 0], memberships[:, 1]] = 1.0
    return Data(
        edge_index=torch.from_numpy(graph.edge_index()),
        y=torch.from_numpy(y),
        num_nodes=num_nodes,
    )


def _check_positive_ids(values: np.ndarray, lines: list[int], path, what: str) -> None:
    bad = np.flatnonzero((values < 0).any(axis=1))
    if bad.size:
        raise DatasetFormatError(f"{path}:{lines[bad[0]]}: {what} start at 1, got {(values[bad[0]] + 1).tolist()}")
