"""IRWE's identity encoder: attention over a node's set of anonymous walks."""
from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = ["IdentityEncoder"]


class IdentityEncoder(nn.Module):
    r"""The identity attention unit of IRWE (`Qin and Yeung, "IRWE: Inductive
    Random Walk for Joint Inference of Identity and Position Network
    Embedding" <https://arxiv.org/abs/2401.00651>`_).

    A node :math:`v` is read through the :math:`W` walks started at it. Walk
    :math:`j` becomes the token

    .. math::

        \mathbf{t}_j = \mathbf{E}[a_j] + \mathrm{MLP}_d\big(\log(1 + \deg(w_{j,0})),
        \dots, \log(1 + \deg(w_{j,L}))\big),

    where :math:`a_j` is the index of the walk's anonymous form (a lookup
    table over *anonymous-walk patterns*, never over nodes) and the second
    term reads the degrees met along the walk. A Transformer layer without
    positional encoding mixes the tokens (a set: the order of the walks does
    not matter), and a multi-head attention readout whose query is the
    node's (standardised) walk statistics :math:`\mathbf{s}_v` (see
    :func:`~graphrep.nn.models.irwe_features.walk_features`) pools them:

    .. math::

        \mathbf{q}_v = \mathrm{MLP}_s(\mathbf{s}_v), \qquad
        \mathbf{z}_v = \mathrm{MLP}_o\big([\mathbf{q}_v \,\|\,
        \mathrm{Attn}(\mathbf{q}_v, \{\mathbf{t}_j\}, \{\mathbf{t}_j\})]\big).

    Every input is a walk statistic, so the encoder applies to nodes and
    graphs it has not seen.

    Args:
        num_patterns: number of anonymous-walk patterns (size of
            :math:`\mathbf{E}`).
        walk_length: steps per walk :math:`L` (degree sequences have
            :math:`L + 1` entries).
        stats_dim: dimension of :math:`\mathbf{s}_v`.
        hidden_channels: token and attention width.
        out_channels: dimension of the identity embedding :math:`\mathbf{z}_v`.
        heads: attention heads.
        dropout: dropout inside the Transformer layer.

    Shapes:
        - **input:** ``aw_index [B, W]``, ``degree_seq [B, W, L + 1]``,
          ``node_stats [B, stats_dim]``
        - **output:** ``[B, out_channels]``

    Example:
        >>> encoder = IdentityEncoder(num_patterns=6, walk_length=4, stats_dim=11,
        ...                           hidden_channels=16, out_channels=8, heads=2)
        >>> z = encoder(torch.randint(0, 6, (3, 5)), torch.rand(3, 5, 5), torch.rand(3, 11))
        >>> z.shape
        torch.Size([3, 8])
    """

    def __init__(self, num_patterns: int, walk_length: int, stats_dim: int, hidden_channels: int = 64,
                 out_channels: int = 64, heads: int = 4, dropout: float = 0.0):
        super().__init__()
        if hidden_channels % heads:
            raise ValueError(f"hidden_channels ({hidden_channels}) must be divisible by heads ({heads})")
        self.num_patterns = num_patterns
        self.walk_length = walk_length
        self.stats_dim = stats_dim
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.heads = heads
        self.pattern_embedding = nn.Embedding(num_patterns, hidden_channels)
        self.degree_mlp = nn.Sequential(
            nn.Linear(walk_length + 1, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, hidden_channels)
        )
        self.walk_mixer = nn.TransformerEncoderLayer(
            hidden_channels, heads, dim_feedforward=2 * hidden_channels, dropout=dropout, batch_first=True
        )
        self.stats_mlp = nn.Sequential(
            nn.Linear(stats_dim, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, hidden_channels)
        )
        self.readout = nn.MultiheadAttention(hidden_channels, heads, batch_first=True)
        self.out_mlp = nn.Sequential(
            nn.Linear(2 * hidden_channels, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, out_channels)
        )
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.pattern_embedding.weight, std=0.1)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()
        self.walk_mixer.self_attn._reset_parameters()
        self.walk_mixer.norm1.reset_parameters()
        self.walk_mixer.norm2.reset_parameters()
        self.readout._reset_parameters()

    def forward(self, aw_index: Tensor, degree_seq: Tensor, node_stats: Tensor) -> Tensor:
        tokens = self.pattern_embedding(aw_index) + self.degree_mlp(degree_seq)  # [B, W, H]
        tokens = self.walk_mixer(tokens)  # [B, W, H]
        query = self.stats_mlp(node_stats)  # [B, H]
        pooled, _ = self.readout(query.unsqueeze(1), tokens, tokens, need_weights=False)  # [B, 1, H]
        return self.out_mlp(torch.cat([query, pooled.squeeze(1)], dim=-1))  # [B, out]

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(num_patterns={self.num_patterns}, walk_length={self.walk_length}, "
                f"stats_dim={self.stats_dim}, hidden_channels={self.hidden_channels}, "
                f"out_channels={self.out_channels}, heads={self.heads})")
