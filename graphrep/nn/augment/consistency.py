"""The GRAND-style consistency regulariser used by LA-GNN."""
from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor


def consistency_loss(logits: Tensor | Sequence[Tensor], temperature: float = 0.5) -> Tensor:
    r"""Consistency loss of GRAND (Feng et al., NeurIPS 2020), which LA-GNN
    adds when it trains on :math:`S` augmented forward passes.

    With :math:`\mathbf{P}_s = \mathrm{softmax}(\text{logits}_s)` and their mean
    :math:`\bar{\mathbf{P}}`, the sharpened target is
    :math:`\mathbf{T}_{ic} = \bar{P}_{ic}^{1/\tau} / \sum_{c'} \bar{P}_{ic'}^{1/\tau}`
    (no gradient flows into it), and the loss is

    .. math::
        \mathcal{L} = \frac{1}{S} \sum_{s=1}^{S} \frac{1}{N} \sum_{i=1}^{N}
        \lVert \mathbf{P}_{s,i} - \mathbf{T}_i \rVert_2^2 .

    Args:
        logits: ``[S, N, C]``, or ``S`` tensors ``[N, C]`` (raw scores; pass
            only the rows to regularise).
        temperature: sharpening temperature :math:`\tau > 0` (smaller is
            sharper).

    Example:
        >>> import torch
        >>> same = torch.tensor([[2.0, 0.0], [0.0, 3.0]])
        >>> round(float(consistency_loss([same, same], temperature=1.0)), 6)
        0.0
        >>> float(consistency_loss([same, -same])) > 0
        True
    """
    if not isinstance(temperature, (int, float)) or temperature <= 0:
        raise ValueError(f"temperature must be a positive number, got {temperature!r}")
    stacked = logits if isinstance(logits, Tensor) else torch.stack(list(logits))
    if stacked.dim() != 3:
        raise ValueError(f"logits must be [S, N, C] or a sequence of [N, C], got shape {tuple(stacked.shape)}")
    probabilities = stacked.softmax(dim=-1)  # [S, N, C]
    with torch.no_grad():
        sharpened = probabilities.mean(0).pow(1.0 / temperature)
        target = sharpened / sharpened.sum(dim=-1, keepdim=True)  # [N, C]
    return (probabilities - target).pow(2).sum(-1).mean()
