"""A PyG transform that adds graphlet edge orbit counts (edge graphlet degree
vectors) to the edge features."""
from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from graphrep.graph import as_graph
from graphrep.orbits.counts import edge_orbit_counts, edge_rows
from graphrep.orbits.systems import NUM_EDGE_ORBITS
from graphrep.transforms.orbit_counts import NORMALIZATIONS

__all__ = ["AddEdgeOrbitCounts"]


class AddEdgeOrbitCounts(BaseTransform):
    r"""Appends each edge's 12 graphlet edge orbit counts (the edge orbits of
    the graphlets on 3-4 nodes, numbered as ORCA numbers them; Hočevar and
    Demšar, *A combinatorial approach to graphlet counting*, Bioinformatics
    2014) to ``data.edge_attr``, or sets it when there is none.

    For the edge :math:`\{u, v\}` and edge orbit :math:`e`, :math:`c_e(u, v)`
    counts the induced graphlets on 3-4 nodes holding :math:`\{u, v\}` on
    :math:`e`. The counts are those of the undirected simple graph that
    :func:`graphrep.as_graph` reads from ``data``, so every column of
    ``edge_index`` gets the row of its undirected edge: both directions of an
    edge, a directed edge given once, and repeated columns all get the same
    row. A self-loop lies in no graphlet (graphlets are simple graphs) and
    gets the row of an edge with all counts zero.

    Counts span orders of magnitude, so they are normalised: ``"log"`` gives
    :math:`\log(1 + c)`, ``"standard"`` per-orbit z-scores of
    :math:`\log(1 + c)` over the graph's undirected edges (each edge once,
    whatever the number of its columns), ``None`` raw counts (as float).

    Args:
        normalization: ``"log"`` (default), ``"standard"`` or ``None``.
        attr_name: the attribute to write; ``"edge_attr"`` concatenates to
            existing edge features, any other name stores the
            ``[num_edges, 12]`` tensor alone.
        backend: ``"auto"``, ``"cpp"`` or ``"numba"``.

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

    def __init__(self, normalization: str | None = "log", attr_name: str = "edge_attr", backend: str = "auto"):
        if normalization not in NORMALIZATIONS:
            raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
        self.normalization = normalization
        self.attr_name = attr_name
        self.backend = backend

    def forward(self, data: Data) -> Data:
        graph = as_graph(data)
        edges, counts = edge_orbit_counts(graph, backend=self.backend)     # [m, 2], [m, 12]
        features = torch.from_numpy(np.vstack([counts, np.zeros((1, NUM_EDGE_ORBITS), dtype=np.int64)]))
        features = features.to(torch.float)                                # [m + 1, 12], last row: no edge
        if self.normalization is not None:
            features = torch.log1p(features)
        if self.normalization == "standard":
            per_edge = features[:-1]
            mean = per_edge.mean(dim=0) if per_edge.shape[0] else torch.zeros(NUM_EDGE_ORBITS)
            std = per_edge.std(dim=0, correction=0) if per_edge.shape[0] else torch.ones(NUM_EDGE_ORBITS)
            features = (features - mean) / std.clamp_min(1e-12)
        src, dst = data.edge_index.detach().cpu().numpy()
        rows = edge_rows(edges, graph.num_nodes, src, dst)
        rows[rows < 0] = edges.shape[0]                                     # self-loops
        attr = features[torch.from_numpy(rows)]                             # [E, 12]
        existing = getattr(data, self.attr_name, None) if self.attr_name == "edge_attr" else None
        device = data.edge_index.device
        if existing is not None:
            existing = existing.view(-1, 1) if existing.dim() == 1 else existing
            attr = torch.cat([existing, attr.to(device=existing.device, dtype=existing.dtype)], dim=-1)
        else:
            attr = attr.to(device)
        data[self.attr_name] = attr
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(normalization={self.normalization!r})"
