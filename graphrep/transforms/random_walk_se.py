"""Random-walk structural encodings as a PyG transform."""
from __future__ import annotations

from typing import Optional

import torch
from torch_geometric.data import Data
from torch_geometric.transforms import BaseTransform

from graphrep.graph import CSRGraph
from graphrep.walks.encodings import return_probabilities
from graphrep.walks.sampling import _checked_walk_length

__all__ = ["AddRandomWalkSE"]


class AddRandomWalkSE(BaseTransform):
    r"""Adds the random-walk structural encoding of `Dwivedi et al., ICLR 2022
    <https://arxiv.org/abs/2110.07875>`_, the return probabilities

    .. math::

        \mathbf{p}_i = \bigl[(P)_{ii}, (P^2)_{ii}, \dots, (P^K)_{ii}\bigr]
        \in \mathbb{R}^{K}, \qquad P = D^{-1} A,

    to every node. Same output as PyG's ``AddRandomWalkPE`` on undirected,
    unweighted graphs, computed exactly by
    :func:`graphrep.walks.return_probabilities` without matrix powers, so it
    scales to large sparse graphs and large batches of small ones.

    The graph is read as undirected and simple (``edge_weight`` is ignored).

    Args:
        walk_length: ``K``, the number of random-walk steps.
        attr_name: the attribute to store the ``float[N, K]`` encoding in;
            ``None`` concatenates it to ``data.x``.

    Example:
        >>> import torch
        >>> from torch_geometric.data import Data
        >>> ring = Data(edge_index=torch.tensor([[0, 1, 1, 2, 2, 0], [1, 0, 2, 1, 0, 2]]), num_nodes=3)
        >>> AddRandomWalkSE(3)(ring).random_walk_se[0].tolist()
        [0.0, 0.5, 0.25]
    """

    def __init__(self, walk_length: int, attr_name: Optional[str] = "random_walk_se") -> None:
        self.walk_length = _checked_walk_length(walk_length)
        self.attr_name = attr_name

    def forward(self, data: Data) -> Data:
        num_nodes = data.num_nodes
        device = data.edge_index.device
        if num_nodes == 0:
            encoding = torch.zeros((0, self.walk_length))
        else:
            row, col = data.edge_index.detach().cpu()
            graph = CSRGraph.from_edges(torch.stack([row, col], 1).numpy(), num_nodes)
            encoding = torch.from_numpy(return_probabilities(graph, self.walk_length)).float()
        encoding = encoding.to(device)  # [N, K]
        if self.attr_name is None:
            x = data.x
            if x is None:
                data.x = encoding
            else:
                x = x.view(-1, 1) if x.dim() == 1 else x
                data.x = torch.cat([x, encoding.to(x.dtype)], dim=-1)
        else:
            data[self.attr_name] = encoding
        return data

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(walk_length={self.walk_length}, attr_name={self.attr_name!r})"
