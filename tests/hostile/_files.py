"""Small dataset folders in the real on-disk layouts, written by the tests
themselves (no shared data needed), and crafted pickles whose payload
would create a file."""
from __future__ import annotations

import collections
import gzip
import os
import pickle
from pathlib import Path

import numpy as np
import scipy.sparse as sp


class Payload:
    """Unpickling this runs ``os.system("touch MARKER")``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def crafted_pickle(marker: Path, protocol: int = 2) -> bytes:
    return pickle.dumps(Payload(marker), protocol=protocol)


def write_planetoid(root: Path, name: str = "cora", *, num_train: int = 14, num_allx: int = 540,
                    num_test: int = 30, num_features: int = 6, num_classes: int = 3, seed: int = 0) -> Path:
    """A Planetoid raw folder ``root/planetoid/<Name>/raw`` written as the
    published files are (pickle protocol 2): features ``x``/``allx``/``tx``
    as CSR matrices, one-hot labels, a defaultdict of adjacency lists with a
    self-loop and a duplicate, a shuffled ``test.index``."""
    canonical = {"cora": "Cora", "citeseer": "CiteSeer", "pubmed": "PubMed"}[name]
    raw = root / "planetoid" / canonical / "raw"
    raw.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    num_nodes = num_allx + num_test
    features = sp.csr_matrix((rng.random((num_nodes, num_features)) < 0.3).astype(np.float32))
    labels = np.eye(num_classes, dtype=np.int32)[rng.integers(0, num_classes, num_nodes)]
    test_index = num_allx + rng.permutation(num_test)
    graph = collections.defaultdict(list)
    for node in range(num_nodes):
        graph[node] += [int(v) for v in rng.choice(num_nodes, 2, replace=False)]
    graph[0] += [0, graph[0][0]]  # a self-loop and a duplicate, as the published files have
    parts = {
        "x": features[:num_train], "allx": features[:num_allx], "tx": features[num_allx:],
        "y": labels[:num_train], "ally": labels[:num_allx], "ty": labels[num_allx:], "graph": graph,
    }
    for part, value in parts.items():
        (raw / f"ind.{name}.{part}").write_bytes(pickle.dumps(value, protocol=2))
    (raw / f"ind.{name}.test.index").write_text("".join(f"{i}\n" for i in test_index))
    return raw


def write_csv_gz(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt") as handle:
        handle.writelines(",".join(str(v) for v in row) + "\n" for row in rows)


def write_ogbl_ddi(root: Path, *, num_nodes: int = 12, seed: int = 0) -> Path:
    """A small folder in ogbl-ddi's layout: ``raw/*.csv.gz``,
    ``split/target/{train,valid,test}.pt`` (dicts of numpy arrays)."""
    import torch

    folder = root / "ogb" / "ogbl_ddi"
    rng = np.random.default_rng(seed)
    pairs = np.array([(u, v) for u in range(num_nodes) for v in range(u + 1, num_nodes)], dtype=np.int64)
    edges = pairs[rng.permutation(len(pairs))[:30]]
    write_csv_gz(folder / "raw" / "edge.csv.gz", edges)
    write_csv_gz(folder / "raw" / "num-node-list.csv.gz", [[num_nodes]])
    write_csv_gz(folder / "raw" / "num-edge-list.csv.gz", [[len(edges)]])
    (folder / "RELEASE_v1.txt").write_text("ogbl-ddi test copy\n")
    split = folder / "split" / "target"
    split.mkdir(parents=True)
    torch.save({"edge": edges[:20]}, split / "train.pt")
    torch.save({"edge": edges[20:25], "edge_neg": pairs[:4]}, split / "valid.pt")
    torch.save({"edge": edges[25:], "edge_neg": pairs[4:8]}, split / "test.pt")
    return folder
