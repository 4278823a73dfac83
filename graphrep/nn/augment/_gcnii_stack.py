"""The GCNII layers after the input projection of LA-GCNII."""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import GCN2Conv


class GCNIIStack(nn.Module):
    """``num_layers`` :class:`~torch_geometric.nn.conv.GCN2Conv` layers with
    initial residual to their own input ``h``, then a linear classifier."""

    def __init__(self, channels: int, out_channels: int, num_layers: int, alpha: float, theta: float,
                 dropout: float, cached: bool = False) -> None:
        super().__init__()
        self.convs = nn.ModuleList(
            GCN2Conv(channels, alpha, theta, layer=i + 1, cached=cached) for i in range(num_layers)
        )
        self.classifier = nn.Linear(channels, out_channels)
        self.dropout = dropout

    def reset_parameters(self) -> None:
        for module in [*self.convs, self.classifier]:
            module.reset_parameters()

    def forward(self, h: Tensor, edge_index: Tensor) -> Tensor:
        initial = h
        for conv in self.convs:
            h = F.relu(conv(F.dropout(h, p=self.dropout, training=self.training), initial, edge_index))
        return self.classifier(F.dropout(h, p=self.dropout, training=self.training))
