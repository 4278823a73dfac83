"""IRWE's position encoder: attention over the node sequences of walks."""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["PositionEncoder"]


class PositionEncoder(nn.Module):
    r"""The position attention unit of IRWE (`Qin and Yeung
    <https://arxiv.org/abs/2401.00651>`_).

    A node :math:`v` is read through the node sequences
    :math:`(w_{j,0} = v, w_{j,1}, \dots, w_{j,L})` of its :math:`W` walks.
    Every visited node :math:`w` met at step :math:`t` is a token whose key
    comes from its identity-side features :math:`\mathbf{s}_w` (walk
    statistics) and the step, and whose value is its random position code
    :math:`\mathbf{r}_w` (see
    :func:`~graphrep.nn.models.irwe_features.walk_features`), head
    :math:`h` reading slice :math:`h` of the code:

    .. math::

        \mathbf{k}_{j,t} = \mathbf{W}_k\big(\mathrm{MLP}_s(\mathbf{s}_{w_{j,t}})
        + \mathbf{P}[t]\big).

    The node's identity embedding :math:`\mathbf{z}_v` is the attention
    query (this couples the two units: the position objective also trains
    the identity encoder), and

    .. math::

        \mathbf{p}_v = \mathbf{r}_v + \gamma \,\big\Vert_{h} \sum_{j,t}
        \alpha^{h}_{j,t}\, \mathbf{r}^{h}_{w_{j,t}},
        \qquad \alpha^{h}_{\cdot} = \mathrm{softmax}_{j,t}\big(
        (\mathbf{W}_q \mathbf{z}_v)^{h\top} \mathbf{k}^{h}_{j,t} / \sqrt{d}\big),

    with the gate :math:`\gamma` learned from zero. So
    :math:`\mathbf{p}_v` is the node's own code plus a learned,
    attention-weighted mean of the codes of the nodes its walks visit: a
    learned smoothing along walks. It is linear in the codes, and the codes
    are a random projection, so :math:`\mathbf{p}_v^\top \mathbf{p}_u`
    estimates an inner product of walk-visit distributions whatever the
    draw, which is what lets a model trained on one draw (and graph) read
    another. (Learned value and output maps on the codes, tried first,
    fitted the draws and lost community structure as training went on.)

    Args:
        stats_channels: dimension of :math:`\mathbf{s}_w`.
        code_channels: dimension of :math:`\mathbf{r}_w`, and of the
            position embedding (divisible by ``heads``).
        identity_channels: dimension of :math:`\mathbf{z}_v`.
        walk_length: steps per walk :math:`L`.
        hidden_channels: query and key width (divisible by ``heads``).
        heads: attention heads.

    Shapes:
        - **input:** ``node_stats [U, stats_channels]`` and ``node_code
          [U, code_channels]`` (rows of the nodes the walks visit),
          ``token_nodes [B, W * (L + 1)]`` (row of the inputs for each
          token, walk after walk, column 0 the node itself),
          ``identity [B, identity_channels]``
        - **output:** ``[B, code_channels]``

    Example:
        >>> encoder = PositionEncoder(stats_channels=6, code_channels=10, identity_channels=8, walk_length=3,
        ...                           hidden_channels=16, heads=2)
        >>> code = torch.rand(7, 10)
        >>> tokens = torch.randint(0, 7, (2, 8))
        >>> p = encoder(torch.rand(7, 6), code, tokens, torch.rand(2, 8))
        >>> p.shape, torch.equal(p, code[tokens[:, 0]])  # untrained: the node's own code
        (torch.Size([2, 10]), True)
    """

    def __init__(self, stats_channels: int, code_channels: int, identity_channels: int, walk_length: int,
                 hidden_channels: int = 64, heads: int = 4):
        super().__init__()
        for name, value in (("hidden_channels", hidden_channels), ("code_channels", code_channels)):
            if value % heads:
                raise ValueError(f"{name} ({value}) must be divisible by heads ({heads})")
        self.stats_channels = stats_channels
        self.code_channels = code_channels
        self.identity_channels = identity_channels
        self.walk_length = walk_length
        self.hidden_channels = hidden_channels
        self.heads = heads
        self.stats_mlp = nn.Sequential(
            nn.Linear(stats_channels, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, hidden_channels)
        )
        self.step_embedding = nn.Embedding(walk_length + 1, hidden_channels)
        self.query = nn.Linear(identity_channels, hidden_channels)
        self.key = nn.Linear(hidden_channels, hidden_channels, bias=False)
        self.gate = nn.Parameter(torch.zeros(()))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.step_embedding.weight, std=0.1)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()
        # An untrained encoder returns the node's own code; training adds
        # as much smoothing as the objective asks for.
        nn.init.zeros_(self.gate)

    def forward(self, node_stats: Tensor, node_code: Tensor, token_nodes: Tensor, identity: Tensor) -> Tensor:
        batch, num_tokens = token_nodes.shape
        heads, head_dim = self.heads, self.hidden_channels // self.heads
        steps = torch.arange(num_tokens, device=token_nodes.device) % (self.walk_length + 1)
        # Keys are linear in (node token + step encoding), so they are
        # projected once per visited node and per step, then gathered: far
        # cheaper than projecting all B * T tokens.
        keys = self.key(self.stats_mlp(node_stats))[token_nodes] + self.key(self.step_embedding(steps))
        keys = keys.view(batch, num_tokens, heads, head_dim)  # [B, T, heads, d]
        query = self.query(identity).view(batch, heads, head_dim)  # [B, heads, d]
        scores = torch.einsum("bhd,bthd->bth", query, keys) / head_dim**0.5  # [B, T, heads]
        weights = torch.softmax(scores, dim=1)
        values = node_code[token_nodes].view(batch, num_tokens, heads, -1)  # [B, T, heads, C / heads]
        smoothed = torch.einsum("bth,bthc->bhc", weights, values).reshape(batch, -1)  # [B, C]
        return node_code[token_nodes[:, 0]] + self.gate * smoothed  # [B, C]

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(stats_channels={self.stats_channels}, "
                f"code_channels={self.code_channels}, identity_channels={self.identity_channels}, "
                f"walk_length={self.walk_length}, hidden_channels={self.hidden_channels}, heads={self.heads})")
