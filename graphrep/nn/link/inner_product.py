"""The graph auto-encoder's inner-product link decoder."""
from __future__ import annotations

from torch import Tensor, nn


class InnerProductPredictor(nn.Module):
    r"""The decoder of the graph auto-encoder (GAE; Kipf and Welling, "Variational
    Graph Auto-Encoders", NeurIPS Bayesian Deep Learning workshop 2016): a link's
    logit is the inner product of its end points' embeddings,

    .. math::
        s_{ij} = \mathbf{h}_i^{\top} \mathbf{h}_j ,

    so :math:`\sigma(s_{ij})` is the reconstructed adjacency entry. It has no
    parameters. Paired with a two-layer GCN encoder it is the GAE baseline
    of the NCN paper's tables; it takes the same arguments as
    :class:`~graphrep.nn.link.NCNPredictor` so trainers can swap them.

    Example:
        >>> import torch
        >>> h = torch.tensor([[1.0, 0.0], [2.0, 1.0], [0.0, 3.0]])
        >>> InnerProductPredictor()(h, None, torch.tensor([[0, 1], [1, 2]]))
        tensor([2., 3.])
    """

    def reset_parameters(self) -> None:
        """Nothing to reset: the decoder has no parameters."""

    def forward(self, x: Tensor, adj: Tensor | None, pairs: Tensor) -> Tensor:
        """``x`` ``[N, d]`` embeddings; ``adj`` is accepted and ignored;
        ``pairs`` ``[2, B]``; returns logits ``[B]``."""
        if pairs.dim() != 2 or pairs.size(0) != 2:
            raise ValueError(f"pairs must be a [2, B] tensor, got {list(pairs.shape)}")
        return (x[pairs[0]] * x[pairs[1]]).sum(-1)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}()"
