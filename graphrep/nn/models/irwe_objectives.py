"""The two training objectives of IRWE."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["identity_loss", "skipgram_loss"]


def identity_loss(aw_logits: Tensor, aw_target: Tensor, stats_pred: Tensor, stats_target: Tensor) -> Tensor:
    r"""The identity objective: the identity embedding must predict the
    node's walk statistics,

    .. math::

        \mathcal{L}_{\mathrm{id}} = \mathrm{KL}\big(\hat{\mathbf{a}}_v \,\|\,
        \mathrm{softmax}(\mathbf{o}_v)\big)
        + \lVert \hat{\mathbf{d}}_v - \mathbf{d}'_v \rVert^2 / \dim \hat{\mathbf{d}}_v,

    averaged over the batch, where :math:`\hat{\mathbf{a}}_v` is the node's
    anonymous-walk distribution, :math:`\mathbf{o}_v` the decoded logits,
    :math:`\hat{\mathbf{d}}_v` its other walk statistics (IRWE passes the
    standardised log-degree moments along walks and walk counts) and
    :math:`\mathbf{d}'_v` their prediction. Rows of ``aw_target`` sum to 1.

    Example:
        >>> target = torch.tensor([[0.5, 0.5, 0.0]])
        >>> perfect = identity_loss(torch.log(target + 1e-12), target, torch.ones(1, 2), torch.ones(1, 2))
        >>> bool(perfect.abs() < 1e-6)
        True
    """
    log_q = F.log_softmax(aw_logits, dim=-1)
    entropy_term = torch.where(aw_target > 0, aw_target * torch.log(aw_target.clamp_min(1e-12)), 0.0)
    kl = (entropy_term - aw_target * log_q).sum(dim=-1)
    return kl.mean() + F.mse_loss(stats_pred, stats_target)


def skipgram_loss(anchor: Tensor, context: Tensor, num_negatives: int, negatives: Tensor | None = None,
                  temperature: float | None = None) -> Tensor:
    r"""The position objective: skip-gram with negative sampling on walk
    co-occurrence (as DeepWalk / node2vec), with in-batch negatives,

    .. math::

        \mathcal{L}_{\mathrm{pos}} = -\log\sigma\big(f(\mathbf{p}_v, \mathbf{p}_u)\big)
        - \sum_{k=1}^{K} \log\sigma\big(-f(\mathbf{p}_v, \mathbf{n}_{k})\big),

    averaged over the batch, where ``context[i]`` (:math:`\mathbf{p}_u`) is
    a node met on a walk from ``anchor[i]`` (:math:`\mathbf{p}_v`) and the
    negatives :math:`\mathbf{n}_k` are the rows ``i - k`` (cyclically) of
    ``negatives`` (default ``context``: contexts of other anchors, drawn in
    proportion to walk visits as node2vec's unigram negatives are). The
    score :math:`f` is the inner product, or with ``temperature``
    :math:`\tau` the cosine similarity divided by :math:`\tau`.

    Example:
        >>> anchor = torch.tensor([[5.0, 0.0], [0.0, 5.0]])
        >>> bool(skipgram_loss(anchor, anchor, 1) < skipgram_loss(anchor, anchor.flip(0), 1))
        True
        >>> cosine = skipgram_loss(anchor, anchor, 1, temperature=0.5)
        >>> bool(torch.isclose(cosine, skipgram_loss(3 * anchor, anchor, 1, temperature=0.5)))  # scale-free
        True
    """
    if num_negatives < 0:
        raise ValueError(f"num_negatives must be >= 0, got {num_negatives}")
    if temperature is not None and temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    negatives = context if negatives is None else negatives
    if temperature is not None:
        scale = temperature ** -0.5
        anchor, context, negatives = (F.normalize(x, dim=-1) * scale for x in (anchor, context, negatives))
    loss = -F.logsigmoid((anchor * context).sum(dim=-1))
    batch = anchor.size(0)
    for shift in range(1, min(num_negatives, batch - 1) + 1):
        negative = torch.roll(negatives, shifts=shift, dims=0)
        loss = loss - F.logsigmoid(-(anchor * negative).sum(dim=-1))
    return loss.mean()
