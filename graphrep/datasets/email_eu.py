"""email-Eu-core (SNAP) with its 42 department labels."""
from __future__ import annotations

import os

import numpy as np

from graphrep.datasets._root import DatasetFormatError, data_root, dataset_folder, read_int_rows

_EDGES = "email-Eu-core.txt"
_LABELS = "email-Eu-core-department-labels.txt"


def load_email_eu(root: str | os.PathLike | None = None):
    """Loads email-Eu-core from ``<root>/email_eu/`` as an undirected PyG
    ``Data`` (1,005 nodes, self-loops dropped) with ``y`` the department.

    Raises:
        DatasetNotFoundError: a file is missing.
        DatasetFormatError: a malformed line, a node labelled twice or not at
            all, or an edge naming a node without a label; the message names
            the file and line.
    """
    import torch
    from torch_geometric.data import Data

    from graphrep.graph import as_graph

    folder = dataset_folder(data_root(root), "email_eu", [_EDGES, _LABELS])
    labels, label_lines = read_int_rows(folder / _LABELS, min_columns=2, max_columns=2)
    num_nodes = max(node for node, _ in labels) + 1
    y = np.full(num_nodes, -1, dtype=np.int64)
    for (node, department), line in zip(labels, label_lines):
        if node < 0 or department < 0:
            raise DatasetFormatError(f"{folder / _LABELS}:{line}: node and department must be >= 0")
        if y[node] >= 0:
            raise DatasetFormatError(f"{folder / _LABELS}:{line}: node {node} is labelled twice")
        y[node] = department
    unlabelled = np.flatnonzero(y < 0)
    if unlabelled.size:
        raise DatasetFormatError(f"{folder / _LABELS}: {unlabelled.size} of nodes 0..{num_nodes - 1} have no label "
                                 f"(first: {int(unlabelled[0])})")
    edges, edge_lines = read_int_rows(folder / _EDGES, min_columns=2, max_columns=2)
    edges = np.array(edges, dtype=np.int64)
    outside = np.flatnonzero((edges < 0).any(axis=1) | (edges >= num_nodes).any(axis=1))
    if outside.size:
        raise DatasetFormatError(f"{folder / _EDGES}:{edge_lines[outside[0]]}: node ids must lie in "
                                 f"[0, {num_nodes}) (the labelled nodes), got {edges[outside[0]].tolist()}")
    graph = as_graph(edges, num_nodes=num_nodes)
    return Data(
        edge_index=torch.from_numpy(graph.edge_index()),
        y=torch.from_numpy(y),
        num_nodes=graph.num_nodes,
    )
