"""The layers after the first of the ready-made LA models."""
from __future__ import annotations

from typing import Callable, Sequence

import torch.nn.functional as F
from torch import Tensor, nn


class ConvStack(nn.Module):
    """``conv_L(dropout(... activation(norm(conv_2(dropout(h))))))``: every
    convolution gets dropout on its input; all but the last are followed by
    the optional norm and the activation."""

    def __init__(self, convs: Sequence[nn.Module], dropout: float,
                 activation: Callable[[Tensor], Tensor], norms: Sequence[nn.Module] | None = None) -> None:
        super().__init__()
        self.convs = nn.ModuleList(convs)
        self.norms = nn.ModuleList(norms) if norms else None
        self.dropout = dropout
        self.activation = activation

    def reset_parameters(self) -> None:
        for module in [*self.convs, *(self.norms or [])]:
            module.reset_parameters()

    def forward(self, h: Tensor, edge_index: Tensor) -> Tensor:
        for i, conv in enumerate(self.convs):
            h = conv(F.dropout(h, p=self.dropout, training=self.training), edge_index)
            if i < len(self.convs) - 1:
                if self.norms is not None:
                    h = self.norms[i](h)
                h = self.activation(h)
        return h
