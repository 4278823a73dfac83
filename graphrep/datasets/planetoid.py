"""Planetoid citation graphs (Cora, CiteSeer, PubMed), offline, without
unpickling untrusted data."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from graphrep.datasets._root import DatasetFormatError, data_root, dataset_folder, read_int_rows

_NAMES = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}
_RAW_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
_SPLITS = ("public", "full", "random")


def load_planetoid(name: str, root: str | os.PathLike | None = None, *, split: str = "public",
                   num_train_per_class: int = 20, num_val: int = 500, num_test: int = 1000,
                   transform: Callable | None = None, pre_transform: Callable | None = None):
    """Loads a Planetoid dataset from ``<root>/planetoid/<Name>/raw/ind.<name>.*``
    without downloading, as a :class:`~graphrep.datasets.GraphDataset` equal
    to :class:`torch_geometric.datasets.Planetoid`'s (features, labels,
    split masks, edges: self-loops dropped, duplicates merged).

    The raw files are pickles; they are read with an unpickler that admits
    only the numpy and scipy classes such files hold, so a crafted file
    raises :class:`~graphrep.datasets.UnsafeFileError` and never runs code.

    Args:
        name: ``cora``, ``citeseer`` or ``pubmed`` (any case).
        root: the data root (default: ``$GRAPHREP_DATA``, else the cache).
        split: ``"public"`` (the Planetoid split: 20 labelled nodes per class,
            500 validation, 1,000 test), ``"full"`` (every node outside
            validation and test trains) or ``"random"`` (``num_train_per_class``
            per class, then ``num_val`` and ``num_test`` drawn from the rest with
            torch's global generator), as in PyG.
        transform, pre_transform: as for PyG datasets.

    Raises:
        DatasetNotFoundError: a raw file is missing.
        UnsafeFileError: a raw file is not a plain array pickle.
        DatasetFormatError: a truncated, corrupt or inconsistent raw file.
    """
    import torch

    from graphrep.datasets._dataset import GraphDataset

    canonical = _NAMES.get(name.lower())
    if canonical is None:
        raise ValueError(f"name must be one of {sorted(_NAMES.values())}, got {name!r}")
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    raw = [f"raw/ind.{canonical.lower()}.{part}" for part in _RAW_PARTS]
    folder = dataset_folder(data_root(root), f"planetoid/{canonical}", raw)
    data = planetoid_data(folder / "raw", canonical.lower())
    if split == "full":
        data.train_mask.fill_(True)
        data.train_mask[data.val_mask | data.test_mask] = False
    elif split == "random":
        data.train_mask.fill_(False)
        for label in range(int(data.y.max()) + 1):
            members = (data.y == label).nonzero().view(-1)
            data.train_mask[members[torch.randperm(members.size(0))[:num_train_per_class]]] = True
        remaining = (~data.train_mask).nonzero().view(-1)
        remaining = remaining[torch.randperm(remaining.size(0))]
        data.val_mask.fill_(False)
        data.val_mask[remaining[:num_val]] = True
        data.test_mask.fill_(False)
        data.test_mask[remaining[num_val:num_val + num_test]] = True
    return GraphDataset(canonical, [data], transform=transform, pre_transform=pre_transform)


def planetoid_data(raw: Path, prefix: str):
    """The PyG ``Data`` of the raw files ``raw/ind.<prefix>.*``, built as PyG's
    Planetoid builds it: features ``allx`` then ``tx`` with the test rows
    put in ``test.index`` order, labels the argmax of the one-hot rows, the
    public masks, and the adjacency lists without self-loops or duplicates."""
    import torch
    from torch_geometric.data import Data
    from torch_geometric.utils import coalesce, index_to_mask, remove_self_loops

    from graphrep.datasets._unpickle import load_planetoid_pickle

    def path(part: str) -> Path:
        return raw / f"ind.{prefix}.{part}"

    x, tx, allx = (torch.from_numpy(load_planetoid_pickle(path(part), "matrix")) for part in ("x", "tx", "allx"))
    y, ty, ally = (torch.from_numpy(load_planetoid_pickle(path(part), "labels")) for part in ("y", "ty", "ally"))
    graph = load_planetoid_pickle(path("graph"), "graph")
    rows, _ = read_int_rows(path("test.index"), min_columns=1, max_columns=1)
    test_index = torch.tensor([row[0] for row in rows], dtype=torch.long)

    for features, labels, part in ((x, y, "x"), (tx, ty, "tx"), (allx, ally, "allx")):
        label_part = part[:-1] + "y"
        if features.size(0) != labels.size(0):
            raise DatasetFormatError(f"{path(part)}: {features.size(0)} rows, but {path(label_part)} has "
                                     f"{labels.size(0)}")
        if features.size(1) != x.size(1):
            raise DatasetFormatError(f"{path(part)}: {features.size(1)} columns, but {path('x')} has {x.size(1)}")
        if labels.size(1) != y.size(1):
            raise DatasetFormatError(f"{path(label_part)}: {labels.size(1)} classes, but {path('y')} has "
                                     f"{y.size(1)}")
    sorted_test_index = test_index.sort()[0]
    if prefix == "citeseer":  # isolated test nodes have no rows in tx / ty: give them zero rows
        span = int(test_index.max() - test_index.min()) + 1
        tx_ext, ty_ext = tx.new_zeros(span, tx.size(1)), ty.new_zeros(span, ty.size(1))
        tx_ext[sorted_test_index - test_index.min()] = tx
        ty_ext[sorted_test_index - test_index.min()] = ty
        tx, ty = tx_ext, ty_ext
    elif test_index.numel() != tx.size(0):
        raise DatasetFormatError(f"{path('test.index')}: {test_index.numel()} test nodes, but {path('tx')} has "
                                 f"{tx.size(0)} rows")
    num_nodes = allx.size(0) + tx.size(0)
    if test_index.numel() and (int(test_index.min()) < allx.size(0) or int(test_index.max()) >= num_nodes):
        raise DatasetFormatError(f"{path('test.index')}: test node ids must lie in [{allx.size(0)}, {num_nodes}), "
                                 f"got [{int(test_index.min())}, {int(test_index.max())}]")
    features = torch.cat([allx, tx], dim=0)
    features[test_index] = features[sorted_test_index]
    labels = torch.cat([ally, ty], dim=0).max(dim=1)[1]
    labels[test_index] = labels[sorted_test_index]

    sources = [node for node, neighbours in graph.items() for _ in neighbours]
    targets = [neighbour for neighbours in graph.values() for neighbour in neighbours]
    edge_index = torch.tensor([sources, targets], dtype=torch.long).view(2, -1)
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= num_nodes):
        raise DatasetFormatError(f"{path('graph')}: node ids must lie in [0, {num_nodes}), got "
                                 f"[{int(edge_index.min())}, {int(edge_index.max())}]")
    edge_index, _ = remove_self_loops(edge_index)
    edge_index = coalesce(edge_index, num_nodes=num_nodes, sort_by_row=False)

    num_train = y.size(0)
    if num_train + 500 > num_nodes:
        raise DatasetFormatError(f"{path('y')}: {num_train} training nodes leave no room for the 500 validation "
                                 f"nodes among {num_nodes}")
    data = Data(x=features, edge_index=edge_index, y=labels)
    data.train_mask = index_to_mask(torch.arange(num_train), size=num_nodes)
    data.val_mask = index_to_mask(torch.arange(num_train, num_train + 500), size=num_nodes)
    data.test_mask = index_to_mask(test_index, size=num_nodes)
    return data
