"""The associativity regulariser of learnable commutative monoids."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from graphrep.nn.aggr.lcm import LCMAggregation
from graphrep.nn.aggr.operators import check_positive_int

__all__ = ["associativity_loss"]


def associativity_loss(
    aggr: LCMAggregation,
    x: Tensor,
    num_triples: Optional[int] = None,
    generator: Optional[torch.Generator] = None,
) -> Tensor:
    r"""The associativity penalty of the `"Learnable Commutative Monoids for
    Graph Neural Networks" <https://arxiv.org/abs/2212.08541>`_ paper, to add
    (with a weight) to a training loss:

    .. math::
        \mathcal{L}_{assoc} = \frac{1}{T} \sum_{t=1}^{T}
        \big\| (a_t \oplus b_t) \oplus c_t - a_t \oplus (b_t \oplus c_t) \big\|_2^2,

    over :math:`T` triples :math:`(a_t, b_t, c_t)` drawn uniformly with
    replacement from the monoid elements of the messages ``x`` (after the
    aggregation's input projection). A perfectly associative operator makes
    the tree reduction independent of how a neighbourhood is split.

    Args:
        aggr (LCMAggregation): the aggregation whose operator is penalised.
        x (torch.Tensor): messages ``[E, in_channels]``, for example the
            inputs of the aggregation in the current batch.
        num_triples (int, optional): number of triples :math:`T`
            (default: ``E``).
        generator (torch.Generator, optional): source of the random triples.

    Example:
        >>> _ = torch.manual_seed(0)
        >>> aggr = LCMAggregation(4, 8)
        >>> loss = associativity_loss(aggr, torch.randn(10, 4), num_triples=32)
        >>> loss.dim(), bool(loss >= 0)
        (0, True)
    """
    if not isinstance(aggr, LCMAggregation):
        raise TypeError(f"aggr must be an LCMAggregation, got {type(aggr).__name__}")
    if not isinstance(x, Tensor) or x.dim() != 2 or x.size(0) == 0:
        raise ValueError(f"x must be a non-empty [E, in_channels] tensor, got "
                         f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
    if x.size(1) != aggr.in_channels:
        raise ValueError(f"x must have {aggr.in_channels} channels, got {x.size(1)}")
    num_triples = check_positive_int(x.size(0) if num_triples is None else num_triples,
                                     "num_triples")

    device = generator.device if generator is not None else x.device
    picks = torch.randint(x.size(0), (3, num_triples), generator=generator, device=device)
    a, b, c = aggr.encode(x[picks.to(x.device).view(-1)]).view(3, num_triples, -1)  # [T, F] each
    op = aggr.operator
    difference = op(op(a, b), c) - op(a, op(b, c))
    return difference.pow(2).sum(dim=-1).mean()
