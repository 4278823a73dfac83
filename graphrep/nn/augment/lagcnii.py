"""LA-GCNII: GCNII with local augmentation."""
from __future__ import annotations

import torch.nn.functional as F
from torch import nn

from graphrep.nn.augment._branch import InputBranch
from graphrep.nn.augment._gcnii_stack import GCNIIStack
from graphrep.nn.augment._ready_made import ReadyMadeAugmentation


class LAGCNII(ReadyMadeAugmentation):
    r"""LA-GCNII (Liu et al., ICML 2022): GCNII (Chen et al., ICML 2020)
    whose input projection :math:`\mathbf{H}^{(0)} = \mathrm{ReLU}(\mathbf{X}
    \mathbf{W}_0)` runs on the original and on ``num_generated`` generated
    feature matrices (see :class:`LocalAugmentation`), followed by
    ``num_layers`` layers

    .. math::
        \mathbf{H}^{(\ell+1)} = \mathrm{ReLU}\Big(\big((1-\alpha)\hat{\mathbf{P}}
        \mathbf{H}^{(\ell)} + \alpha \mathbf{H}^{(0)}\big)\big((1-\beta_\ell)
        \mathbf{I} + \beta_\ell \mathbf{W}^{(\ell)}\big)\Big),
        \quad \beta_\ell = \log(\theta / \ell + 1),

    and a linear classifier. In ``"concat"`` mode the GCNII layers are
    ``(num_generated + 1) * hidden_channels`` wide.

    Args:
        in_channels: input features.
        hidden_channels: width of each input projection copy.
        out_channels: number of classes.
        num_generated: generated matrices :math:`K` per forward.
        num_layers: GCNII layers.
        alpha: initial-residual strength :math:`\alpha`.
        theta: identity-mapping strength :math:`\theta`.
        dropout: dropout before every layer.
        mode: ``"concat"`` or ``"average"``.
        cached: cache the normalised adjacency (transductive training only).

    Example:
        >>> import torch
        >>> model = LAGCNII(4, 8, 3, num_generated=1, num_layers=4)
        >>> x, edge_index = torch.rand(5, 4), torch.tensor([[0, 1, 2], [1, 2, 3]])
        >>> model(x, edge_index, torch.rand(1, 5, 4)).shape
        torch.Size([5, 3])
    """

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_generated: int = 1,
                 num_layers: int = 64, alpha: float = 0.1, theta: float = 0.5, dropout: float = 0.6,
                 mode: str = "concat", cached: bool = False) -> None:
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"num_layers must be a positive int, got {num_layers!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must lie in [0, 1), got {dropout!r}")
        first = InputBranch(nn.Linear(in_channels, hidden_channels), dropout, F.relu, graph_layer=False)
        width = hidden_channels * (num_generated + 1 if mode == "concat" else 1)
        rest = GCNIIStack(width, out_channels, num_layers, alpha, theta, dropout, cached=cached)
        super().__init__(first, rest, num_generated, mode)
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
