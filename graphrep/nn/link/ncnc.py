"""Neural Common Neighbor with Completion (NCNC) link predictor."""
from __future__ import annotations

import math

import torch
from torch import Tensor

from graphrep._validate import check_int
from graphrep.nn.link.adjacency import _check_pairs, common_neighbors, drop_adjacency_entries
from graphrep.nn.link.ncn import NCNPredictor


class NCNCPredictor(NCNPredictor):
    r"""Neural Common Neighbor with Completion from `"Neural Common Neighbor
    with Completion for Link Prediction" <https://arxiv.org/abs/2302.00890>`_
    (Wang, Yang, Zhang, ICLR 2024).

    NCN (:class:`NCNPredictor`) only sees the observed common neighbours. NCNC
    also counts the *potential* ones: a neighbour :math:`k` of :math:`i` that
    is not (yet) a neighbour of :math:`j` enters the sum weighted by the
    model's own probability of the link :math:`(j, k)`, and symmetrically:

    .. math::
        \mathbf{z}_{ij} = \sum_{k \in N(i) \cap N(j)} \tilde{\mathbf{h}}_k
        + \sum_{k \in N(i) \setminus N(j)} \hat{A}_{jk} \tilde{\mathbf{h}}_k
        + \sum_{k \in N(j) \setminus N(i)} \hat{A}_{ik} \tilde{\mathbf{h}}_k,

    and the logit is NCN's with :math:`\mathbf{z}_{ij}` in place of the plain
    common-neighbour sum. :math:`\hat{A}_{jk}` comes from the same predictor
    one completion level lower (depth ``d`` uses depth ``d - 1``; depth 0 is
    NCN), computed without gradient, then calibrated as in the published
    code:

    .. math::
        \hat{A}_{jk} = \alpha\,\sigma\big(\gamma (s_{jk} - \delta) + \log \pi\big)
        = \alpha \frac{\pi \sigma_0}{\pi \sigma_0 + 1 - \sigma_0},
        \quad \sigma_0 = \sigma(\gamma (s_{jk} - \delta)),

    where :math:`s_{jk}` is the logit, :math:`\gamma` = ``scale``,
    :math:`\delta` = ``offset``, :math:`\pi` = ``prior`` and :math:`\alpha`
    = ``alpha``. With ``prior = 0`` every completion weight is 0 and NCNC
    equals NCN. The parameters are exactly NCN's, so a trained NCN's
    ``state_dict`` loads into NCNC.

    Args:
        in_channels, hidden_channels, \*\*kwargs: as for :class:`NCNPredictor`.
        depth: completion depth (1 = NCNC, 0 = NCN).
        prior: prior link probability :math:`\pi` in ``[0, 1]``.
        scale: :math:`\gamma`.
        offset: :math:`\delta`.
        alpha: overall weight :math:`\alpha` of completed neighbours.
        completion_batch_size: most candidate pairs scored at once when
            computing completion probabilities.
        published_completion_input: feed the lower completion level the
            transformed embeddings :math:`\tilde{\mathbf{h}}` instead of
            :math:`\mathbf{h}`, as the published code does: that level's pair
            term then reads :math:`\tilde{\mathbf{h}}_j \odot
            \tilde{\mathbf{h}}_k` and its neighbour sum
            :math:`\tilde{\mathbf{h}} + \mathrm{MLP}_x(\tilde{\mathbf{h}})`.
            The published completion hyperparameters (:math:`\gamma,
            \delta`) were tuned with it. No effect without ``node_transform``.

    Example:
        >>> from graphrep.nn.link import link_adjacency
        >>> adj = link_adjacency(torch.tensor([[0, 0, 1, 2], [1, 2, 2, 3]]), 4)
        >>> predictor = NCNCPredictor(8, 16, depth=1)
        >>> predictor(torch.randn(4, 8), adj, torch.tensor([[0, 1], [3, 3]])).shape
        torch.Size([2])
    """

    def __init__(self, in_channels: int, hidden_channels: int, *, depth: int = 1, prior: float = 0.5,
                 scale: float = 5.0, offset: float = 3.0, alpha: float = 1.0,
                 completion_batch_size: int = 2**18, published_completion_input: bool = False, **kwargs):
        super().__init__(in_channels, hidden_channels, **kwargs)
        depth = check_int(depth, "depth", minimum=0)
        if not 0.0 <= prior <= 1.0:
            raise ValueError(f"prior must be in [0, 1], got {prior}")
        completion_batch_size = check_int(completion_batch_size, "completion_batch_size", minimum=1)
        self.depth = depth
        self.prior = float(prior)
        self.scale = float(scale)
        self.offset = float(offset)
        self.alpha = float(alpha)
        self.completion_batch_size = int(completion_batch_size)
        self.published_completion_input = bool(published_completion_input)

    def forward(self, x: Tensor, adj: Tensor, pairs: Tensor, depth: int | None = None) -> Tensor:
        self._check(x, adj)
        pairs = _check_pairs(pairs, adj.size(0))
        depth = self.depth if depth is None else check_int(depth, "depth", minimum=0)
        adj = drop_adjacency_entries(adj, self.edge_dropout, self.training)
        return self._complete(x, self._node_features(x), adj, pairs, depth)

    def completion_probability(self, logits: Tensor) -> Tensor:
        """Calibrated link probability :math:`\\hat{A}` from logits."""
        log_prior = math.log(self.prior) if self.prior > 0 else -math.inf
        return self.alpha * torch.sigmoid(self.scale * (logits - self.offset) + log_prior)

    def _complete(self, x: Tensor, x_cn: Tensor, adj: Tensor, pairs: Tensor, depth: int) -> Tensor:
        if depth == 0:
            return self._score(x, x_cn, adj, pairs)
        common, only_u, only_v = common_neighbors(adj, pairs, residual=True, chunk_size=self.chunk_size)
        # only_u holds k in N(u) \ N(v): its weight is the probability of (v, k); only_v symmetrically.
        weights = []
        with torch.no_grad():
            lower_x, lower_x_cn = (x_cn, self._node_features(x_cn)) if self.published_completion_input else (x, x_cn)
            for candidates, anchor in ((only_u, pairs[1]), (only_v, pairs[0])):
                index = candidates.indices()
                links = torch.stack([anchor[index[0]], index[1]])
                logits = torch.cat([
                    self._complete(lower_x, lower_x_cn, adj, links[:, start:start + self.completion_batch_size],
                                   depth - 1)
                    for start in range(0, links.size(1), self.completion_batch_size)
                ]) if links.size(1) else x.new_empty(0)
                weights.append(self.completion_probability(logits))
        neighbour_sum = torch.sparse.mm(common, x_cn)
        for candidates, weight in zip((only_u, only_v), weights):
            completed = torch.sparse_coo_tensor(candidates.indices(), weight, candidates.shape,
                                                is_coalesced=True, check_invariants=False)
            neighbour_sum = neighbour_sum + torch.sparse.mm(completed, x_cn)
        return self._combine(x, pairs, neighbour_sum)

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self.in_channels}, {self.hidden_channels}, depth={self.depth})"
