"""A PyG transform that adds graphlet orbit counts (graphlet degree vectors)
to the node features."""
from __future__ import annotations

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from graphrep.orbits import orbit_counts
from graphrep.orbits.graphlets import check_graphlet_size

NORMALIZATIONS = ("log", "standard", None)


def checked_normalization(normalization: str | None) -> str | None:
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"normalization must be one of {NORMALIZATIONS}, got {normalization!r}")
    return normalization


def normalize_counts(counts: torch.Tensor, normalization: str | None, stats_rows: int | None = None) -> torch.Tensor:
    """``log(1 + counts)`` (``"log"``), its per-column z-scores (``"standard"``,
    statistics over the first ``stats_rows`` rows, default all) or ``counts``
    (``None``)."""
    if normalization is None:
        return counts
    counts = torch.log1p(counts)
    if normalization == "standard":
        reference = counts[:stats_rows]
        if reference.shape[0] == 0:
            return counts
        counts = (counts - reference.mean(dim=0)) / reference.std(dim=0, correction=0).clamp_min(1e-12)
    return counts


def store_features(data: Data, attr_name: str, concatenated: str, features: torch.Tensor) -> Data:
    """Sets ``data[attr_name] = features``, appended to the existing columns
    when ``attr_name`` is ``concatenated`` (``"x"``, ``"edge_attr"``), on the
    device of ``data.edge_index``."""
    existing = getattr(data, attr_name, None) if attr_name == concatenated else None
    if existing is not None:
        existing = existing.view(-1, 1) if existing.dim() == 1 else existing
        features = torch.cat([existing, features.to(device=existing.device, dtype=existing.dtype)], dim=-1)
    else:
        features = features.to(data.edge_index.device)
    data[attr_name] = features
    return data


class AddOrbitCounts(BaseTransform):
    r"""Appends each node's 15 graphlet orbit counts (Przulj's orbits 0..14
    of the graphlets on 2-4 nodes; Przulj, *Biological network comparison
    using graphlet degree distribution*, 2007), or its 73 (orbits 0..72 of
    the graphlets on 2-5 nodes) with ``graphlet_size=5``, to ``data.x``, or
    sets ``data.x`` when there is none.

    Counts span orders of magnitude (a hub sits in millions of 3-stars), so
    they are normalised: ``"log"`` gives :math:`\log(1 + c)`, ``"standard"``
    gives per-orbit z-scores of :math:`\log(1 + c)` over the graph's nodes,
    ``None`` keeps raw counts (as float).

    Args:
        normalization: ``"log"`` (default), ``"standard"`` or ``None``.
        attr_name: the attribute to write; ``"x"`` concatenates to existing
            features, any other name stores the ``[num_nodes, 15]`` (or
            ``[num_nodes, 73]``) tensor alone.
        backend: ``"auto"``, ``"cpp"`` or ``"numba"``.
        graphlet_size: 4 (graphlets on 2-4 nodes, default) or 5 (2-5 nodes).

    Example:
        >>> import torch
        >>> from torch_geometric.data import Data
        >>> data = Data(edge_index=torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]]), num_nodes=3)
        >>> AddOrbitCounts(normalization=None)(data).x[:, :3]
        tensor([[1., 1., 0.],
                [2., 0., 1.],
                [1., 1., 0.]])
        >>> AddOrbitCounts(normalization=None, graphlet_size=5)(data).x.shape
        torch.Size([3, 73])
    """

    def __init__(self, normalization: str | None = "log", attr_name: str = "x", backend: str = "auto",
                 graphlet_size: int = 4):
        self.normalization = checked_normalization(normalization)
        self.attr_name = attr_name
        self.backend = backend
        self.graphlet_size = check_graphlet_size(graphlet_size)

    def forward(self, data: Data) -> Data:
        counts = orbit_counts(data, graphlet_size=self.graphlet_size, backend=self.backend)
        counts = torch.from_numpy(counts).to(torch.float)                                  # [N, 15 or 73]
        return store_features(data, self.attr_name, "x", normalize_counts(counts, self.normalization))

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(normalization={self.normalization!r}, "
                f"graphlet_size={self.graphlet_size})")
