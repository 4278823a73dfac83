"""The per-copy first layer of the ready-made LA models."""
from __future__ import annotations

from typing import Callable

from torch import Tensor, nn

from graphrep.nn.augment._dropout import input_dropout


class InputBranch(nn.Module):
    """``activation(norm(layer(dropout(x), edge_index)))``; ``layer`` is a PyG
    convolution or, with ``graph_layer=False``, a plain module on ``x``."""

    def __init__(self, layer: nn.Module, dropout: float, activation: Callable[[Tensor], Tensor],
                 norm: nn.Module | None = None, graph_layer: bool = True) -> None:
        super().__init__()
        self.layer = layer
        self.norm = norm
        self.dropout = dropout
        self.activation = activation
        self.graph_layer = graph_layer

    def reset_parameters(self) -> None:
        self.layer.reset_parameters()
        if self.norm is not None:
            self.norm.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor) -> Tensor:
        x = input_dropout(x, self.dropout, self.training)
        x = self.layer(x, edge_index) if self.graph_layer else self.layer(x)
        if self.norm is not None:
            x = self.norm(x)
        return self.activation(x)
