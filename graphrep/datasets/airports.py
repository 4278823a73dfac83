"""Airports air-traffic graphs with structural-role labels (struc2vec)."""
from __future__ import annotations

import os
from typing import Callable

from graphrep.datasets._root import DatasetFormatError, data_root, dataset_folder, read_int_rows

AIRPORTS = ("usa", "europe", "brazil")


def load_airports(name: str, root: str | os.PathLike | None = None, *, transform: Callable | None = None,
                  pre_transform: Callable | None = None):
    """Loads ``Airports(name)`` (usa, europe or brazil; labels are activity
    quartiles) from ``<root>/airports/<name>/raw/`` without downloading, as a
    :class:`~graphrep.datasets.GraphDataset` equal to
    :class:`torch_geometric.datasets.Airports`'s: one-hot features
    (``x`` the identity), labels ``y``, edges with duplicates merged.

    Raises:
        DatasetNotFoundError: a raw file is missing.
        DatasetFormatError: a malformed line, a repeated airport in the
            labels, or an edge naming an airport without a label; the
            message names the file and line.
    """
    import torch
    from torch_geometric.data import Data
    from torch_geometric.utils import coalesce

    from graphrep.datasets._dataset import GraphDataset

    name = name.lower()
    if name not in AIRPORTS:
        raise ValueError(f"name must be one of {AIRPORTS}, got {name!r}")
    edges_file, labels_file = f"raw/{name}-airports.edgelist", f"raw/labels-{name}-airports.txt"
    folder = dataset_folder(data_root(root), f"airports/{name}", [edges_file, labels_file])
    labels, label_lines = read_int_rows(folder / labels_file, min_columns=2, max_columns=2, header=True)
    row_of: dict[int, int] = {}
    for (airport, _), line in zip(labels, label_lines):
        if airport in row_of:
            raise DatasetFormatError(f"{folder / labels_file}:{line}: airport {airport} is labelled twice")
        row_of[airport] = len(row_of)
    edges, edge_lines = read_int_rows(folder / edges_file, min_columns=2, max_columns=2)
    pairs = []
    for (source, target), line in zip(edges, edge_lines):
        for airport in (source, target):
            if airport not in row_of:
                raise DatasetFormatError(f"{folder / edges_file}:{line}: airport {airport} has no label in "
                                         f"{folder / labels_file}")
        pairs.append((row_of[source], row_of[target]))
    num_nodes = len(row_of)
    edge_index = coalesce(torch.tensor(pairs, dtype=torch.long).t().contiguous(), num_nodes=num_nodes)
    y = torch.tensor([label for _, label in labels], dtype=torch.long)
    data = Data(x=torch.eye(num_nodes), edge_index=edge_index, y=y)
    return GraphDataset(name, [data], transform=transform, pre_transform=pre_transform)
