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
    Every visited node :math:`w` enters as a token built from walk
    statistics only, its identity-side features :math:`\mathbf{s}_w` and its
    random position code :math:`\mathbf{r}_w` (see
    :func:`~graphrep.nn.models.irwe_features.walk_features`), plus an
    encoding of the step :math:`t` at which the walk met it:

    .. math::

        \mathbf{h}_{j,t} = \mathrm{MLP}_x([\mathbf{s}_{w_{j,t}} \,\|\,
        \mathbf{r}_{w_{j,t}}]) + \mathbf{P}[t].

    The node's identity embedding :math:`\mathbf{z}_v` is the attention
    query (this is where the two units are coupled: the position objective
    also trains the identity encoder), and multi-head attention over all
    :math:`W (L + 1)` tokens gives the position embedding

    .. math::

        \mathbf{p}_v = \mathrm{MLP}_o\big(\mathrm{Attn}(\mathbf{W}_q \mathbf{z}_v,
        \{\mathbf{h}_{j,t}\}, \{\mathbf{h}_{j,t}\})\big)
        + \mathbf{W}_r [\mathbf{s}_v \,\|\, \mathbf{r}_v],

    the last term a linear root weight on the node's own input (as PyG's
    convolutions have), which keeps the random projection of its walk
    co-occurrence one linear map away from the embedding.

    Args:
        in_channels: dimension of a node's token input
            :math:`[\mathbf{s}_w \| \mathbf{r}_w]`.
        identity_channels: dimension of :math:`\mathbf{z}_v`.
        walk_length: steps per walk :math:`L`.
        hidden_channels: token and attention width.
        out_channels: dimension of the position embedding.
        heads: attention heads.

    Shapes:
        - **input:** ``node_input [U, in_channels]`` (rows of the nodes the
          walks visit), ``token_nodes [B, W * (L + 1)]`` (row of
          ``node_input`` for each token, walk after walk),
          ``identity [B, identity_channels]``
        - **output:** ``[B, out_channels]``

    Example:
        >>> encoder = PositionEncoder(in_channels=10, identity_channels=8, walk_length=3,
        ...                           hidden_channels=16, out_channels=8, heads=2)
        >>> p = encoder(torch.rand(7, 10), torch.randint(0, 7, (2, 8)), torch.rand(2, 8))
        >>> p.shape
        torch.Size([2, 8])
    """

    def __init__(self, in_channels: int, identity_channels: int, walk_length: int, hidden_channels: int = 64,
                 out_channels: int = 64, heads: int = 4):
        super().__init__()
        if hidden_channels % heads:
            raise ValueError(f"hidden_channels ({hidden_channels}) must be divisible by heads ({heads})")
        self.in_channels = in_channels
        self.identity_channels = identity_channels
        self.walk_length = walk_length
        self.hidden_channels = hidden_channels
        self.out_channels = out_channels
        self.heads = heads
        self.token_mlp = nn.Sequential(
            nn.Linear(in_channels, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, hidden_channels)
        )
        self.step_embedding = nn.Embedding(walk_length + 1, hidden_channels)
        self.query = nn.Linear(identity_channels, hidden_channels)
        self.key = nn.Linear(hidden_channels, hidden_channels, bias=False)
        self.value = nn.Linear(hidden_channels, hidden_channels, bias=False)
        self.out_mlp = nn.Sequential(
            nn.Linear(hidden_channels, hidden_channels), nn.ReLU(), nn.Linear(hidden_channels, out_channels)
        )
        self.root = nn.Linear(in_channels, out_channels, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.normal_(self.step_embedding.weight, std=0.1)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    def forward(self, node_input: Tensor, token_nodes: Tensor, identity: Tensor) -> Tensor:
        batch, num_tokens = token_nodes.shape
        heads, head_dim = self.heads, self.hidden_channels // self.heads
        node_tokens = self.token_mlp(node_input)  # [U, H]
        steps = torch.arange(num_tokens, device=token_nodes.device) % (self.walk_length + 1)
        step_tokens = self.step_embedding(steps)  # [T, H]
        # Keys and values are linear in (node token + step encoding), so they
        # are projected once per visited node and per step, then gathered:
        # far cheaper than projecting all B * T tokens.
        keys = (self.key(node_tokens)[token_nodes] + self.key(step_tokens)).view(batch, num_tokens, heads, head_dim)
        values = (self.value(node_tokens)[token_nodes] + self.value(step_tokens)).view(
            batch, num_tokens, heads, head_dim)
        query = self.query(identity).view(batch, heads, head_dim)  # [B, heads, d]
        scores = torch.einsum("bhd,bthd->bth", query, keys) / head_dim**0.5  # [B, T, heads]
        weights = torch.softmax(scores, dim=1)
        pooled = torch.einsum("bth,bthd->bhd", weights, values).reshape(batch, -1)  # [B, H]
        # Column 0 of the tokens is the node itself (step 0 of its first walk).
        return self.out_mlp(pooled) + self.root(node_input[token_nodes[:, 0]])  # [B, out]

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(in_channels={self.in_channels}, "
                f"identity_channels={self.identity_channels}, walk_length={self.walk_length}, "
                f"hidden_channels={self.hidden_channels}, out_channels={self.out_channels}, heads={self.heads})")
