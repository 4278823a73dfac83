"""End-point link predictor: an MLP on the Hadamard product of the two
embeddings (NCN without common neighbours)."""
from __future__ import annotations

from torch import Tensor, nn

from graphrep.nn.link._mlp import output_mlp, pair_mlp, reset


class HadamardMLPPredictor(nn.Module):
    r"""Scores a link from its end points only,
    :math:`s_{ij} = \mathrm{MLP}(\mathbf{h}_i \odot \mathbf{h}_j)`: NCN
    without its common-neighbour term (the ablation "cn0" of the published
    code), to isolate what common neighbours add on top of the same encoder. It takes the same arguments as
    :class:`~graphrep.nn.link.NCNPredictor` so trainers can swap them.

    Example:
        >>> import torch
        >>> HadamardMLPPredictor(8, 16)(torch.randn(4, 8), None, torch.tensor([[0, 1], [3, 2]])).shape
        torch.Size([2])
    """

    def __init__(self, in_channels: int, hidden_channels: int, *, dropout: float = 0.0,
                 layer_norm: bool = True, tail_act: bool = False, two_layer_out: bool = False):
        super().__init__()
        if in_channels < 1 or hidden_channels < 1:
            raise ValueError(f"in_channels and hidden_channels must be >= 1, got {in_channels}, {hidden_channels}")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.pair_mlp = pair_mlp(in_channels, hidden_channels, dropout, layer_norm, tail_act)
        self.output_mlp = output_mlp(hidden_channels, dropout, layer_norm, two_layer_out)

    def reset_parameters(self) -> None:
        reset(self.pair_mlp)
        reset(self.output_mlp)

    def forward(self, x: Tensor, adj: Tensor | None, pairs: Tensor) -> Tensor:
        """``adj`` is accepted and ignored, for a predictor-agnostic trainer."""
        if pairs.dim() != 2 or pairs.size(0) != 2:
            raise ValueError(f"pairs must be a [2, B] tensor, got {list(pairs.shape)}")
        return self.output_mlp(self.pair_mlp(x[pairs[0]] * x[pairs[1]])).squeeze(-1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels})"
