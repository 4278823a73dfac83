"""The node encoder of the published NCN configurations."""
from __future__ import annotations

import torch
from torch import Tensor, nn

from graphrep.nn.link.adjacency import _check_adjacency, drop_adjacency_entries

_AGGRS = ("gcn", "sum", "mean")


class NCNEncoder(nn.Module):
    r"""A light message-passing encoder as used by NCN's published configs:
    an input projection (or a learnable embedding table for featureless
    graphs such as ogbl-ddi), then ``num_layers`` rounds of

    .. math::
        \mathbf{H}^{(l+1)} = \mathrm{Dropout}\big(P\,\mathbf{H}^{(l)} W^{(l)}\big)
        \;[+\, \mathbf{H}^{(l)} \text{ if residual}],

    with :math:`P = \hat{D}^{-1/2}(A + I)\hat{D}^{-1/2}` (``"gcn"``),
    :math:`A` (``"sum"``) or :math:`D^{-1}A` (``"mean"``), and :math:`W`
    the identity unless ``linear`` (the "pure" convolutions of the paper).
    ``jk`` sums the layer outputs with learnable weights. Propagation is a
    ``torch.sparse`` CSR product; no torch-sparse needed.

    Args:
        in_channels: input feature size (``None`` with ``num_embeddings``);
            ``x`` may be dense or a sparse COO tensor (sparse bag-of-words
            features make the input projection much cheaper).
        hidden_channels: embedding size.
        num_layers: propagation rounds (>= 0).
        num_embeddings: when set, ``x`` holds integer ids into a learnable,
            orthogonally initialised table of this many rows.
        aggr: ``"gcn"``, ``"sum"`` or ``"mean"``.
        linear: a Linear layer (with ReLU between layers) in every round.
        input_dropout: dropout on the input features.
        dropout: dropout after the input projection / embedding.
        tail_dropout: dropout after the last round.
        edge_dropout: adjacency-entry dropout in training.
        residual: add each round's input to its output.
        jk: jumping-knowledge weighted sum of all rounds.

    Example:
        >>> from graphrep.nn.link import link_adjacency
        >>> adj = link_adjacency(torch.tensor([[0, 1], [1, 2]]), 3)
        >>> NCNEncoder(5, 8)(torch.randn(3, 5), adj).shape
        torch.Size([3, 8])
        >>> NCNEncoder(5, 8)(torch.eye(3, 5).to_sparse(), adj).shape
        torch.Size([3, 8])
        >>> NCNEncoder(None, 8, num_embeddings=3, aggr="sum")(torch.arange(3), adj).shape
        torch.Size([3, 8])
    """

    def __init__(self, in_channels: int | None, hidden_channels: int, num_layers: int = 1, *,
                 num_embeddings: int | None = None, aggr: str = "gcn", linear: bool = False,
                 input_dropout: float = 0.0, dropout: float = 0.0, tail_dropout: float = 0.0,
                 edge_dropout: float = 0.0, residual: bool = False, jk: bool = False):
        super().__init__()
        if aggr not in _AGGRS:
            raise ValueError(f"aggr must be one of {_AGGRS}, got {aggr!r}")
        if num_layers < 0:
            raise ValueError(f"num_layers must be >= 0, got {num_layers}")
        if (in_channels is None) == (num_embeddings is None):
            raise ValueError("give exactly one of in_channels (features) and num_embeddings (id table)")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.num_layers = num_layers
        self.num_embeddings = num_embeddings
        self.aggr = aggr
        self.edge_dropout = edge_dropout
        self.residual = residual
        self.jk = jk and num_layers > 0
        if num_embeddings is not None:
            self.embedding = nn.Embedding(num_embeddings, hidden_channels)
            self.input = None
        else:
            self.embedding = None
            self.input = nn.Linear(in_channels, hidden_channels)
        self.input_dropout = nn.Dropout(input_dropout)
        self.dropout = nn.Dropout(dropout)
        self.tail_dropout = nn.Dropout(tail_dropout)
        self.linears = nn.ModuleList(nn.Linear(hidden_channels, hidden_channels) for _ in range(num_layers)) \
            if linear else None
        self.jk_weights = nn.Parameter(torch.ones(num_layers)) if self.jk else None
        self.reset_parameters()

    def reset_parameters(self) -> None:
        if self.embedding is not None:
            nn.init.orthogonal_(self.embedding.weight)
        else:
            self.input.reset_parameters()
        if self.linears is not None:
            for linear in self.linears:
                linear.reset_parameters()
        if self.jk_weights is not None:
            with torch.no_grad():
                self.jk_weights.fill_(1.0)

    def _project(self, x: Tensor) -> Tensor:
        if not x.is_sparse:
            return self.input(self.input_dropout(x))
        # Sparse bag-of-words input: dropout on the stored values, then a sparse product.
        x = x.coalesce()
        values = self.input_dropout(x.values())
        x = torch.sparse_coo_tensor(x.indices(), values, x.shape, is_coalesced=True, check_invariants=False)
        return torch.sparse.mm(x, self.input.weight.t()) + self.input.bias

    def propagate(self, h: Tensor, adj: Tensor) -> Tensor:
        """One parameter-free aggregation :math:`P\\,\\mathbf{H}`."""
        degree = adj.crow_indices().diff().to(h.dtype).unsqueeze(-1)  # [n, 1]
        if self.aggr == "sum":
            return torch.sparse.mm(adj, h)
        if self.aggr == "mean":
            return torch.sparse.mm(adj, h) / degree.clamp(min=1)
        norm = (degree + 1).rsqrt()
        return norm * (torch.sparse.mm(adj, norm * h) + norm * h)

    def forward(self, x: Tensor, adj: Tensor) -> Tensor:
        _check_adjacency(adj)
        if self.embedding is not None:
            if x.dtype not in (torch.long, torch.int) or x.dim() != 1:
                raise ValueError("x must be a 1-D tensor of node ids with num_embeddings, "
                                 f"got {x.dtype} {list(x.shape)}")
            h = self.dropout(self.embedding(x))
        else:
            if x.dim() != 2 or x.size(1) != self.in_channels:
                raise ValueError(f"x must have shape [n, {self.in_channels}], got {list(x.shape)}")
            h = self.dropout(self._project(x))
        adj = drop_adjacency_entries(adj, self.edge_dropout, self.training)
        outputs = []
        for layer in range(self.num_layers):
            out = h if self.linears is None else self.linears[layer](h)
            out = self.propagate(out, adj)
            if layer < self.num_layers - 1:
                out = out.relu() if self.linears is not None else out
            else:
                out = self.tail_dropout(out)
            h = out + h if self.residual else out
            outputs.append(h)
        if self.jk:
            h = (torch.stack(outputs) * self.jk_weights.view(-1, 1, 1)).sum(0)
        return h

    def __repr__(self) -> str:
        source = f"num_embeddings={self.num_embeddings}" if self.embedding is not None else str(self.in_channels)
        return (f"{self.__class__.__name__}({source}, {self.hidden_channels}, num_layers={self.num_layers}, "
                f"aggr={self.aggr!r})")
