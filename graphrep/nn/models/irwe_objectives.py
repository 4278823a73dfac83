"""The two training objectives of IRWE."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["identity_loss", "skipgram_loss"]


def identity_loss(aw_logits: Tensor, aw_target: Tensor, degree_pred: Tensor, degree_target: Tensor) -> Tensor:
    r"""The identity objective: the identity embedding must predict the
    node's walk statistics,

    .. math::

        \mathcal{L}_{\mathrm{id}} = \mathrm{KL}\big(\hat{\mathbf{a}}_v \,\|\,
        \mathrm{softmax}(\mathbf{o}_v)\big)
        + \lVert \hat{\mathbf{d}}_v - \mathbf{d}'_v \rVert^2 / \dim \hat{\mathbf{d}}_v,

    averaged over the batch, where :math:`\hat{\mathbf{a}}_v` is the node's
    anonymous-walk distribution, :math:`\mathbf{o}_v` the decoded logits,
    :math:`\hat{\mathbf{d}}_v` the degree statistics along its walks and
    :math:`\mathbf{d}'_v` its prediction. Rows of ``aw_target`` sum to 1.

    Example:
        >>> target = torch.tensor([[0.5, 0.5, 0.0]])
        >>> perfect = identity_loss(torch.log(target + 1e-12), target, torch.ones(1, 2), torch.ones(1, 2))
        >>> bool(perfect.abs() < 1e-6)
        True
    """
    log_q = F.log_softmax(aw_logits, dim=-1)
    entropy_term = torch.where(aw_target > 0, aw_target * torch.log(aw_target.clamp_min(1e-12)), 0.0)
    kl = (entropy_term - aw_target * log_q).sum(dim=-1)
    return kl.mean() + F.mse_loss(degree_pred, degree_target)


def skipgram_loss(anchor: Tensor, context: Tensor, num_negatives: int) -> Tensor:
    r"""The position objective: skip-gram with negative sampling on walk
    co-occurrence (as DeepWalk / node2vec), with in-batch negatives,

    .. math::

        \mathcal{L}_{\mathrm{pos}} = -\log\sigma(\mathbf{p}_v^\top \mathbf{p}_u)
        - \sum_{k=1}^{K} \log\sigma(-\mathbf{p}_v^\top \mathbf{p}_{u_k}),

    averaged over the batch, where ``context[i]`` (:math:`\mathbf{p}_u`) is
    a node met on a walk from ``anchor[i]`` (:math:`\mathbf{p}_v`) and the
    negatives :math:`u_k` are the contexts of other anchors of the batch
    (so they are drawn in proportion to walk visits, as node2vec's
    unigram negatives are).

    Example:
        >>> anchor = torch.tensor([[5.0, 0.0], [0.0, 5.0]])
        >>> bool(skipgram_loss(anchor, anchor, 1) < skipgram_loss(anchor, anchor.flip(0), 1))
        True
    """
    if num_negatives < 0:
        raise ValueError(f"num_negatives must be >= 0, got {num_negatives}")
    loss = -F.logsigmoid((anchor * context).sum(dim=-1))
    batch = anchor.size(0)
    for shift in range(1, min(num_negatives, batch - 1) + 1):
        negative = torch.roll(context, shifts=shift, dims=0)
        loss = loss - F.logsigmoid(-(anchor * negative).sum(dim=-1))
    return loss.mean()
