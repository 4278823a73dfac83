"""Neural Common Neighbor (NCN) link predictor."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from graphrep.nn.link._mlp import neighbour_mlp, node_mlp, output_mlp, pair_mlp, reset
from graphrep.nn.link.adjacency import (DEFAULT_CHUNK_SIZE, _check_adjacency, _check_pairs,
                                        common_neighbors, drop_adjacency_entries)


class NCNPredictor(nn.Module):
    r"""The Neural Common Neighbor predictor from `"Neural Common Neighbor
    with Completion for Link Prediction" <https://arxiv.org/abs/2302.00890>`_
    (Wang, Yang, Zhang, ICLR 2024).

    Given node embeddings :math:`\mathbf{h}` from any encoder (a GCN, SAGE,
    an embedding table), the logit of the link :math:`(i, j)` is

    .. math::
        s_{ij} = \mathrm{MLP}\Big(\beta \cdot \mathrm{MLP}_{cn}\Big(
        \sum_{k \in N(i) \cap N(j)} \tilde{\mathbf{h}}_k\Big)
        + \mathrm{MLP}_{ij}(\mathbf{h}_i \odot \mathbf{h}_j)\Big),

    with :math:`\tilde{\mathbf{h}} = \mathbf{h} + \mathrm{MLP}_x(\mathbf{h})`
    when ``node_transform`` is set (else :math:`\mathbf{h}`) and
    :math:`\beta` learnable. Common neighbours come from
    :func:`~graphrep.nn.link.common_neighbors` (sorted-row intersection on a
    ``torch.sparse`` CSR adjacency, chunked).

    Args:
        in_channels: size of the node embeddings.
        hidden_channels: width of the MLPs.
        dropout: dropout in the MLPs.
        edge_dropout: probability of dropping an adjacency entry before
            common neighbours are taken (training only).
        layer_norm: LayerNorm in the MLPs.
        node_transform: the residual node MLP :math:`\mathrm{MLP}_x`
            (needs ``in_channels == hidden_channels``).
        tail_act: end :math:`\mathrm{MLP}_{cn}` and :math:`\mathrm{MLP}_{ij}`
            with an activation instead of a last Linear layer.
        two_layer_out: two hidden layers in the output MLP instead of one.
        beta: initial value of :math:`\beta`.
        chunk_size: bound on neighbour entries gathered at once.

    Shapes:
        ``x``: ``[n, in_channels]``; ``adj``: ``[n, n]`` CSR;
        ``pairs``: ``[2, B]``; output: ``[B]`` logits.

    Example:
        >>> from graphrep.nn.link import link_adjacency
        >>> adj = link_adjacency(torch.tensor([[0, 0, 1, 2], [1, 2, 2, 3]]), 4)
        >>> predictor = NCNPredictor(8, 16)
        >>> predictor(torch.randn(4, 8), adj, torch.tensor([[0, 1], [3, 3]])).shape
        torch.Size([2])
    """

    def __init__(self, in_channels: int, hidden_channels: int, *, dropout: float = 0.0,
                 edge_dropout: float = 0.0, layer_norm: bool = True, node_transform: bool = False,
                 tail_act: bool = False, two_layer_out: bool = False, beta: float = 1.0,
                 chunk_size: int = DEFAULT_CHUNK_SIZE):
        super().__init__()
        if in_channels < 1 or hidden_channels < 1:
            raise ValueError(f"in_channels and hidden_channels must be >= 1, got {in_channels}, {hidden_channels}")
        if node_transform and in_channels != hidden_channels:
            raise ValueError("node_transform needs in_channels == hidden_channels, got "
                             f"{in_channels} and {hidden_channels}")
        for name, p in (("dropout", dropout), ("edge_dropout", edge_dropout)):
            if not 0.0 <= p < 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {p}")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.edge_dropout = edge_dropout
        self.chunk_size = chunk_size
        self.initial_beta = beta
        self.beta = nn.Parameter(torch.full((1,), float(beta)))
        self.node_mlp = node_mlp(hidden_channels, dropout, layer_norm) if node_transform else None
        self.neighbour_mlp = neighbour_mlp(in_channels, hidden_channels, dropout, layer_norm, tail_act)
        self.pair_mlp = pair_mlp(in_channels, hidden_channels, dropout, layer_norm, tail_act)
        self.output_mlp = output_mlp(hidden_channels, dropout, layer_norm, two_layer_out)

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.beta.fill_(self.initial_beta)
        for module in (self.node_mlp, self.neighbour_mlp, self.pair_mlp, self.output_mlp):
            if module is not None:
                reset(module)

    def forward(self, x: Tensor, adj: Tensor, pairs: Tensor) -> Tensor:
        self._check(x, adj)
        pairs = _check_pairs(pairs, adj.size(0))
        adj = drop_adjacency_entries(adj, self.edge_dropout, self.training)
        return self._score(x, self._node_features(x), adj, pairs)

    def _check(self, x: Tensor, adj: Tensor) -> None:
        _check_adjacency(adj)
        if x.dim() != 2 or x.size(0) != adj.size(0) or x.size(1) != self.in_channels:
            raise ValueError(f"x must have shape [{adj.size(0)}, {self.in_channels}], got {list(x.shape)}")

    def _node_features(self, x: Tensor) -> Tensor:
        return x if self.node_mlp is None else x + self.node_mlp(x)

    def _combine(self, x: Tensor, pairs: Tensor, neighbour_sum: Tensor) -> Tensor:
        pair = self.pair_mlp(x[pairs[0]] * x[pairs[1]])  # [B, hidden]
        return self.output_mlp(self.neighbour_mlp(neighbour_sum) * self.beta + pair).squeeze(-1)

    def _score(self, x: Tensor, x_cn: Tensor, adj: Tensor, pairs: Tensor) -> Tensor:
        common = common_neighbors(adj, pairs, chunk_size=self.chunk_size)  # [B, n]
        return self._combine(x, pairs, torch.sparse.mm(common, x_cn))

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels})"
