"""Link-prediction metrics through OGB's own ``Evaluator`` (works offline):
Hits@K and MRR exactly as the OGB leaderboards compute them."""
from __future__ import annotations

import functools
import re
from typing import Iterable

import torch
from torch import Tensor

__all__ = ["hits_at_k", "mrr", "link_metrics"]


@functools.cache
def _evaluator(name: str):
    from ogb.linkproppred import Evaluator

    return Evaluator(name=name)


def _scores(values, name: str) -> Tensor:
    values = torch.as_tensor(values).detach().float().cpu()
    if values.numel() == 0:
        raise ValueError(f"{name} is empty")
    if not torch.isfinite(values).all():
        raise ValueError(f"{name} holds NaN or infinite scores")
    return values


def hits_at_k(pos: Tensor, neg: Tensor, k: int) -> float:
    """Fraction of positive scores above the ``k``-th highest negative score
    (OGB's Hits@K, from ``ogb.linkproppred.Evaluator``).

    Example:
        >>> hits_at_k(torch.tensor([3.0, 0.5]), torch.tensor([1.0, 2.0, 0.0]), 1)
        0.5
    """
    if int(k) < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    pos, neg = _scores(pos, "pos").flatten(), _scores(neg, "neg").flatten()
    evaluator = _evaluator("ogbl-ddi")
    evaluator.K = int(k)
    return float(evaluator.eval({"y_pred_pos": pos, "y_pred_neg": neg})[f"hits@{int(k)}"])


def mrr(pos: Tensor, neg: Tensor) -> float:
    """Mean reciprocal rank of each positive among its own negatives
    (``neg`` of shape ``[num_pos, num_neg]``), OGB's ogbl-citation2 metric.

    Example:
        >>> mrr(torch.tensor([2.0, 0.0]), torch.tensor([[1.0, 0.5], [1.0, 3.0]]))
        0.6666666865348816
    """
    pos, neg = _scores(pos, "pos").flatten(), _scores(neg, "neg")
    if neg.dim() != 2 or neg.size(0) != pos.numel():
        raise ValueError(f"neg must have shape [{pos.numel()}, num_neg], got {list(neg.shape)}")
    result = _evaluator("ogbl-citation2").eval({"y_pred_pos": pos, "y_pred_neg": neg})
    return float(result["mrr_list"].mean())


def link_metrics(pos: Tensor, neg: Tensor, metrics: Iterable[str]) -> dict[str, float]:
    """Several metrics at once, named ``"hits@K"`` or ``"mrr"``.

    Example:
        >>> link_metrics(torch.tensor([3.0, 0.5]), torch.tensor([1.0, 2.0, 0.0]), ["hits@1", "hits@3"])
        {'hits@1': 0.5, 'hits@3': 1.0}
    """
    results = {}
    for metric in metrics:
        match = re.fullmatch(r"hits@(\d+)", metric)
        if match:
            results[metric] = hits_at_k(pos, neg, int(match.group(1)))
        elif metric == "mrr":
            results[metric] = mrr(pos, neg)
        else:
            raise ValueError(f"unknown metric {metric!r}; use 'hits@K' or 'mrr'")
    return results
