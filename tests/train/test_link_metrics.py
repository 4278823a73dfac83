import numpy as np
import pytest
import torch

from graphrep.train.metrics import hits_at_k, link_metrics, mrr


def test_hits_at_k_matches_counting_reference():
    generator = torch.Generator().manual_seed(0)
    pos, neg = torch.randn(300, generator=generator), torch.randn(500, generator=generator)
    for k in (1, 20, 100):
        threshold = torch.sort(neg, descending=True).values[k - 1]
        assert hits_at_k(pos, neg, k) == pytest.approx(float((pos > threshold).float().mean()))


def test_mrr_matches_rank_reference():
    generator = torch.Generator().manual_seed(1)
    pos, neg = torch.randn(50, generator=generator), torch.randn(50, 20, generator=generator)
    ranks = 1 + (neg >= pos[:, None]).sum(1).numpy()
    assert mrr(pos, neg) == pytest.approx(float(np.mean(1.0 / ranks)), rel=1e-5)


def test_bad_metric_input():
    with pytest.raises(ValueError, match="unknown metric"):
        link_metrics(torch.ones(2), torch.ones(2), ["auc"])
    with pytest.raises(ValueError, match="neg must have shape"):
        mrr(torch.ones(3), torch.ones(3))
    with pytest.raises(ValueError, match="NaN"):
        hits_at_k(torch.tensor([float("nan")]), torch.ones(2), 1)
