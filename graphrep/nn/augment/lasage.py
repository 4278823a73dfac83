"""LA-SAGE: GraphSAGE with local augmentation."""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import SAGEConv

from graphrep.nn.augment._branch import InputBranch
from graphrep.nn.augment._stack import ConvStack
from graphrep.nn.augment.lagcn import _check
from graphrep.nn.augment._ready_made import ReadyMadeAugmentation


class LASAGE(ReadyMadeAugmentation):
    r"""LA-SAGE (Liu et al., ICML 2022): GraphSAGE (Hamilton et al., NeurIPS
    2017) with mean aggregation, :math:`\mathbf{h}_i' = \mathbf{W}_1
    \mathbf{h}_i + \mathbf{W}_2 \operatorname{mean}_{j \in \mathcal{N}(i)}
    \mathbf{h}_j`, whose first :class:`~torch_geometric.nn.conv.SAGEConv`
    runs on the original and on ``num_generated`` generated feature matrices
    (see :class:`LocalAugmentation`). Arguments as :class:`LAGCN`.

    Example:
        >>> import torch
        >>> model = LASAGE(4, 8, 3, num_generated=1, num_layers=3, batch_norm=True)
        >>> x, edge_index = torch.rand(5, 4), torch.tensor([[0, 1, 2], [1, 2, 3]])
        >>> model(x, edge_index, torch.rand(1, 5, 4)).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_generated: int = 1,
                 num_layers: int = 2, dropout: float = 0.5, mode: str = "concat",
                 batch_norm: bool = False) -> None:
        _check(num_layers, dropout)
        first = InputBranch(SAGEConv(in_channels, hidden_channels), dropout, F.relu,
                            nn.BatchNorm1d(hidden_channels) if batch_norm else None)
        width = hidden_channels * (num_generated + 1 if mode == "concat" else 1)
        sizes = [width] + [hidden_channels] * (num_layers - 2) + [out_channels]
        convs = [SAGEConv(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
        norms = [nn.BatchNorm1d(size) for size in sizes[1:-1]] if batch_norm else None
        super().__init__(first, ConvStack(convs, dropout, F.relu, norms), num_generated, mode)
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
