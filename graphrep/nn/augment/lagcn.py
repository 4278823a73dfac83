"""LA-GCN: a GCN with local augmentation."""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GCNConv

from graphrep.nn.augment._branch import InputBranch
from graphrep.nn.augment._stack import ConvStack
from graphrep.nn.augment._ready_made import ReadyMadeAugmentation


class LAGCN(ReadyMadeAugmentation):
    r"""LA-GCN (Liu et al., ICML 2022): a GCN (Kipf & Welling, ICLR 2017)
    whose first :class:`~torch_geometric.nn.conv.GCNConv` runs on the
    original and on ``num_generated`` generated feature matrices
    (see :class:`LocalAugmentation`).

    Each layer computes :math:`\hat{\mathbf{D}}^{-1/2}\hat{\mathbf{A}}
    \hat{\mathbf{D}}^{-1/2}\mathbf{H}\mathbf{W}` on dropped-out input; ReLU
    (after optional batch norm) follows every layer but the last.

    Args:
        in_channels: input features :math:`F`.
        hidden_channels: width of each first-layer copy and of later hidden
            layers (``"concat"`` makes the second layer's input
            ``(num_generated + 1) * hidden_channels`` wide).
        out_channels: number of classes.
        num_generated: generated matrices :math:`K` per forward (0 gives a
            plain GCN).
        num_layers: total GCN layers (at least 2).
        dropout: dropout before every layer.
        mode: ``"concat"`` or ``"average"``.
        batch_norm: batch norm after every hidden layer (as OGB's baselines).
        cached: cache the normalised adjacency (transductive training only).

    Example:
        >>> import torch
        >>> model = LAGCN(4, 8, 3, num_generated=2)
        >>> x, edge_index = torch.rand(5, 4), torch.tensor([[0, 1, 2], [1, 2, 3]])
        >>> model(x, edge_index, torch.rand(2, 5, 4)).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_generated: int = 1,
                 num_layers: int = 2, dropout: float = 0.5, mode: str = "concat",
                 batch_norm: bool = False, cached: bool = False) -> None:
        _check(num_layers, dropout)
        first = InputBranch(GCNConv(in_channels, hidden_channels, cached=cached), dropout, F.relu,
                            nn.BatchNorm1d(hidden_channels) if batch_norm else None)
        width = hidden_channels * (num_generated + 1 if mode == "concat" else 1)
        sizes = [width] + [hidden_channels] * (num_layers - 2) + [out_channels]
        convs = [GCNConv(a, b, cached=cached) for a, b in zip(sizes[:-1], sizes[1:])]
        norms = [nn.BatchNorm1d(size) for size in sizes[1:-1]] if batch_norm else None
        super().__init__(first, ConvStack(convs, dropout, F.relu, norms), num_generated, mode)
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels



def _check(num_layers: int, dropout: float) -> None:
    if not isinstance(num_layers, int) or num_layers < 2:
        raise ValueError(f"num_layers must be an int >= 2, got {num_layers!r}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
