"""A PyG transform that adds graphlet edge orbit counts (edge graphlet degree
vectors) to the edge features."""
from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from graphrep.graph import as_graph
from graphrep.orbits.counts import edge_orbit_counts, edge_rows
from graphrep.orbits.graphlets import check_graphlet_size
from graphrep.transforms.orbit_counts import checked_normalization, normalize_counts, store_features

__all__ = ["AddEdgeOrbitCounts"]


class AddEdgeOrbitCounts(BaseTransform):
    r"""Appends each edge's 12 graphlet edge orbit counts (the edge orbits of
    the graphlets on 3-4 nodes, numbered as ORCA numbers them; Hočevar and
    Demšar, *A combinatorial approach to graphlet counting*, Bioinformatics
    2014), or its 68 (graphlets on 3-5 nodes) with ``graphlet_size=5``, to
    ``data.edge_attr``, or sets it when there is none.

    For the edge :math:`\{u, v\}` and edge orbit :math:`e`, :math:`c_e(u, v)`
    counts the induced graphlets on 3..``graphlet_size`` nodes holding
    :math:`\{u, v\}` on :math:`e`. The counts are those of the undirected
    simple graph that :func:`graphrep.as_graph` reads from ``data``, so every
    column of ``edge_index`` gets the row of its undirected edge: both
    directions of an edge, a directed edge given once, and repeated columns
    all get the same row. A self-loop lies in no graphlet (graphlets are simple graphs) and
    gets the row of an edge with all counts zero.

    Counts span orders of magnitude, so they are normalised: ``"log"`` gives
    :math:`\log(1 + c)`, ``"standard"`` per-orbit z-scores of
    :math:`\log(1 + c)` over the graph's undirected edges (each edge once,
    whatever the number of its columns), ``None`` raw counts (as float).

    Args:
        normalization: ``"log"`` (default), ``"standard"`` or ``None``.
        attr_name: the attribute to write; ``"edge_attr"`` concatenates to
            existing edge features, any other name stores the
            ``[num_edges, 12]`` (or ``[num_edges, 68]``) tensor alone.
        backend: ``"auto"``, ``"cpp"`` or ``"numba"``.
        graphlet_size: 4 (graphlets on 3-4 nodes, default) or 5 (3-5 nodes).

    Example:
        >>> import torch
        >>> from torch_geometric.data import Data
        >>> triangle = torch.tensor([[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 0, 2]])
        >>> data = AddEdgeOrbitCounts(normalization=None)(Data(edge_index=triangle, num_nodes=3))
        >>> data.edge_attr[:, :2]
        tensor([[0., 1.],
                [0., 1.],
                [0., 1.],
                [0., 1.],
                [0., 1.],
                [0., 1.]])
    """

    def __init__(self, normalization: str | None = "log", attr_name: str = "edge_attr", backend: str = "auto",
                 graphlet_size: int = 4):
        self.normalization = checked_normalization(normalization)
        self.attr_name = attr_name
        self.backend = backend
        self.graphlet_size = check_graphlet_size(graphlet_size)

    def forward(self, data: Data) -> Data:
        graph = as_graph(data)
        edges, counts = edge_orbit_counts(graph, graphlet_size=self.graphlet_size, backend=self.backend)
        # [m, 2], [m, 12 or 68]
        table = torch.from_numpy(np.vstack([counts, np.zeros((1, counts.shape[1]), dtype=np.int64)]))
        # [m + 1, 12 or 68]; the last row, all zeros, is for self-loops
        table = normalize_counts(table.to(torch.float), self.normalization, stats_rows=edges.shape[0])
        src, dst = data.edge_index.detach().cpu().numpy()
        rows = edge_rows(edges, graph.num_nodes, src, dst)
        rows[rows < 0] = edges.shape[0]
        return store_features(data, self.attr_name, "edge_attr", table[torch.from_numpy(rows)])  # [E, 12 or 68]

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(normalization={self.normalization!r}, "
                f"graphlet_size={self.graphlet_size})")
