"""LA-GNN's input layer: the backbone's first layer on the original and on
each generated feature matrix, combined."""
from __future__ import annotations

import copy
from typing import Sequence

import torch
from torch import Tensor, nn

_MODES = ("concat", "average")


class LocalAugmentation(nn.Module):
    r"""Wraps a backbone GNN for local augmentation (Liu et al., ICML 2022).

    The backbone is split into its first layer :math:`f^{(1)}` and the rest
    :math:`g`. Given the original features :math:`\mathbf{X}` and :math:`K`
    generated matrices :math:`\bar{\mathbf{X}}_1, \dots, \bar{\mathbf{X}}_K`
    (from :meth:`LocalAugmenter.sample`), each gets its own copy of the first
    layer and the outputs are combined:

    .. math::
        \mathbf{H} = f^{(1)}_0(\mathbf{X}) \,\|\, f^{(1)}_1(\bar{\mathbf{X}}_1)
        \,\|\, \cdots \,\|\, f^{(1)}_K(\bar{\mathbf{X}}_K)
        \quad\text{(concat)}, \qquad
        \mathbf{H} = \tfrac{1}{K+1} \textstyle\sum_k f^{(1)}_k(\cdot)
        \quad\text{(average)},

    then :math:`g(\mathbf{H})` is the output. ``"concat"`` is the paper's
    LA-GCN / LA-GAT design (``rest``'s input width is ``(K + 1)`` times the
    first layer's output width); ``"average"`` keeps the backbone's widths
    (the paper's choice for large graphs). Copy 0 is ``first_layer`` itself,
    the others are deep copies with fresh parameters, so with
    ``num_generated=0`` the wrapper computes exactly
    ``rest(first_layer(x, edge_index), edge_index)``.

    Args:
        first_layer: module called as ``first_layer(x, edge_index)``
            (include input dropout and the activation in it).
        rest: module called as ``rest(h, edge_index)``, or ``None`` to return
            the combined first-layer output.
        num_generated: number :math:`K` of generated matrices per forward.
        mode: ``"concat"`` or ``"average"``.

    Example:
        >>> import torch
        >>> from torch_geometric.nn import GCNConv
        >>> model = LocalAugmentation(GCNConv(4, 8), GCNConv(16, 3), num_generated=1)
        >>> x = torch.rand(5, 4)
        >>> edge_index = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
        >>> model(x, edge_index, torch.rand(1, 5, 4)).shape
        torch.Size([5, 3])
    """

    def __init__(self, first_layer: nn.Module, rest: nn.Module | None = None, num_generated: int = 1,
                 mode: str = "concat") -> None:
        super().__init__()
        if not isinstance(first_layer, nn.Module):
            raise TypeError(f"first_layer must be a torch.nn.Module, got {type(first_layer).__name__}")
        if rest is not None and not isinstance(rest, nn.Module):
            raise TypeError(f"rest must be a torch.nn.Module or None, got {type(rest).__name__}")
        if not isinstance(num_generated, int) or num_generated < 0:
            raise ValueError(f"num_generated must be a non-negative int, got {num_generated!r}")
        if mode not in _MODES:
            raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
        self.num_generated = num_generated
        self.mode = mode
        copies = [copy.deepcopy(first_layer) for _ in range(num_generated)]
        for module in copies:
            _reset(module)
        self.branches = nn.ModuleList([first_layer, *copies])
        self.rest = rest

    def reset_parameters(self) -> None:
        for branch in self.branches:
            _reset(branch)
        if self.rest is not None:
            _reset(self.rest)

    def forward(self, x: Tensor, edge_index: Tensor,
                generated: Tensor | Sequence[Tensor] | None = None) -> Tensor:
        """``x`` ``[N, F]``; ``generated`` ``[K, N, F]`` or ``K`` matrices
        ``[N, F]`` (``None`` only when ``num_generated == 0``)."""
        inputs = [x, *(generated if generated is not None else ())]
        if len(inputs) != self.num_generated + 1:
            raise ValueError(f"expected {self.num_generated} generated feature matrices, "
                             f"got {len(inputs) - 1}")
        hidden = [branch(features, edge_index) for branch, features in zip(self.branches, inputs)]
        if self.mode == "concat":
            combined = torch.cat(hidden, dim=-1)  # [N, (K + 1) * hidden]
        else:
            combined = torch.stack(hidden).mean(0)  # [N, hidden]
        return combined if self.rest is None else self.rest(combined, edge_index)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(first_layer={self.branches[0]}, rest={self.rest}, "
                f"num_generated={self.num_generated}, mode={self.mode!r})")


def _reset(module: nn.Module) -> None:
    """Re-initialises every submodule that knows how to (repeats are harmless)."""
    for child in module.modules():
        reset = getattr(child, "reset_parameters", None)
        if callable(reset):
            reset()
