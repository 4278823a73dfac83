"""LA-GAT: a graph attention network with local augmentation."""
from __future__ import annotations

import torch.nn.functional as F
from torch_geometric.nn import GATConv

from graphrep.nn.augment._branch import InputBranch
from graphrep.nn.augment._stack import ConvStack
from graphrep.nn.augment.lagcn import _check
from graphrep.nn.augment._ready_made import ReadyMadeAugmentation


class LAGAT(ReadyMadeAugmentation):
    r"""LA-GAT (Liu et al., ICML 2022): a GAT (Veličković et al., ICLR 2018)
    whose first :class:`~torch_geometric.nn.conv.GATConv` (``heads``
    concatenated heads, ELU) runs on the original and on ``num_generated``
    generated feature matrices (see :class:`LocalAugmentation`); the output
    layer averages ``out_heads`` heads. Attention coefficients
    :math:`\alpha_{ij} = \mathrm{softmax}_j(\mathrm{LeakyReLU}(\mathbf{a}^\top
    [\mathbf{W}\mathbf{h}_i \,\|\, \mathbf{W}\mathbf{h}_j]))` are dropped out
    with the same rate as the features.

    Args:
        in_channels: input features.
        hidden_channels: width of each head.
        out_channels: number of classes.
        num_generated: generated matrices :math:`K` per forward.
        heads: heads of the first layer (and of later hidden layers).
        out_heads: heads of the output layer (averaged).
        num_layers: total GAT layers (at least 2).
        dropout: dropout on features and attention.
        mode: ``"concat"`` or ``"average"``.

    Example:
        >>> import torch
        >>> model = LAGAT(4, 8, 3, num_generated=1, heads=2)
        >>> x, edge_index = torch.rand(5, 4), torch.tensor([[0, 1, 2], [1, 2, 3]])
        >>> model(x, edge_index, torch.rand(1, 5, 4)).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_generated: int = 1,
                 heads: int = 8, out_heads: int = 1, num_layers: int = 2, dropout: float = 0.6,
                 mode: str = "concat") -> None:
        _check(num_layers, dropout)
        first = InputBranch(GATConv(in_channels, hidden_channels, heads=heads, dropout=dropout),
                            dropout, F.elu)
        width = hidden_channels * heads * (num_generated + 1 if mode == "concat" else 1)
        convs = []
        for _ in range(num_layers - 2):
            convs.append(GATConv(width, hidden_channels, heads=heads, dropout=dropout))
            width = hidden_channels * heads
        convs.append(GATConv(width, out_channels, heads=out_heads, concat=False, dropout=dropout))
        super().__init__(first, ConvStack(convs, dropout, F.elu), num_generated, mode)
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.heads = heads

    def _repr_options(self) -> str:
        return f"heads={self.heads}, "
