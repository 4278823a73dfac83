"""IRWE: inductive identity and position embeddings from topology alone."""
from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from graphrep.graph import CSRGraph, as_graph
from graphrep.nn.models.identity_encoder import IdentityEncoder
from graphrep.nn.models.irwe_features import WalkFeatures, random_position_code, stats_dim, walk_features
from graphrep.nn.models.irwe_objectives import identity_loss, skipgram_loss
from graphrep.nn.models.position_encoder import PositionEncoder
from graphrep.utils import progress

__all__ = ["IRWE"]


class IRWE(nn.Module):
    r"""Inductive random-walk embeddings: an identity (structural role) and a
    position (proximity, community) embedding for every node, from the
    topology alone (`Qin and Yeung, "IRWE: Inductive Random Walk for Joint
    Inference of Identity and Position Network Embedding"
    <https://arxiv.org/abs/2401.00651>`_).

    Every input is a statistic of random walks sampled by
    :mod:`graphrep.walks` (see
    :func:`~graphrep.nn.models.irwe_features.walk_features`): no learnable
    table is indexed by node, so a trained model embeds new nodes and new
    graphs without retraining. The walk statistics :math:`\mathbf{s}_v`
    (anonymous-walk distribution, log-degree moments along walks, walk and
    closed-walk counts) are standardised with the training graph's column
    means and deviations. Two attention units read the walks:

    * :class:`~graphrep.nn.models.IdentityEncoder` attends over the
      anonymous forms (and degree sequences) of a node's walks; its output,
      with the node's standardised :math:`\log(1 + \deg v)` appended as a
      skip path, is the identity embedding :math:`\mathbf{z}_v`;
    * :class:`~graphrep.nn.models.PositionEncoder` attends over the node
      sequences of the walks, keys from the visited nodes' walk statistics,
      values from their random position codes (random projections of walk
      co-occurrence), with :math:`\mathbf{z}_v` as the query; it gives the
      position embedding :math:`\mathbf{p}_v`, the node's own code plus a
      learned attention-weighted mean of the visited codes.

    They are trained jointly on :math:`\mathcal{L} = \mathcal{L}_{\mathrm{id}}
    + \beta\,\mathcal{L}_{\mathrm{pos}}`: the identity objective
    (:func:`~graphrep.nn.models.irwe_objectives.identity_loss`) decodes the
    node's anonymous-walk distribution and its other (standardised) walk
    statistics from :math:`\mathbf{z}_v`; the position objective
    (:func:`~graphrep.nn.models.irwe_objectives.skipgram_loss`) is skip-gram
    with negative sampling on walk co-occurrence (contexts within
    ``window`` steps, uniform in-batch negatives, cosine scores over a
    temperature). The random position code is redrawn every epoch, so the
    position encoder learns to read any draw, as it must for a new graph.

    Args:
        identity_channels: dimension of the identity embedding (the last
            column is the skip path; ``>= 2``).
        position_channels: dimension of the position embedding and of the
            random position code.
        hidden_channels: width of tokens and attention in both units.
        heads: attention heads.
        num_walks: walks per node :math:`W` read by the encoders.
        walk_length: steps per walk :math:`L`.
        aw_length: steps of the anonymous walks (a prefix of each walk;
            ``<= min(walk_length, 10)``).
        window: the skip-gram context is a node met within ``window`` steps
            on one of the node's walks (``1 <= window <= walk_length``).
        code_hops: rounds of walk smoothing of the random position code.
        target_walks: walks per node for the walk statistics and the
            co-occurrence behind the position code (an independent, larger
            sample than the ``num_walks`` the encoders read; sampled and
            reduced 1000 per node at a time, so memory does not grow with
            it).
        num_negatives: negative samples per positive pair.
        beta: weight of the position objective.
        temperature: temperature of the cosine scores of the skip-gram.
        epochs: training epochs in :meth:`fit` (each visits every node once).
        batch_size: nodes per step in :meth:`fit` and :meth:`embed`.
        lr: Adam learning rate.
        seed: seeds initialisation, walks, batches and random codes.

    Example:
        >>> import networkx as nx
        >>> model = IRWE(identity_channels=8, position_channels=8, hidden_channels=16, num_walks=4,
        ...              walk_length=4, aw_length=3, target_walks=10, epochs=1)
        >>> identity, position = model.fit(nx.karate_club_graph()).embed(nx.path_graph(5))
        >>> identity.shape, position.shape
        (torch.Size([5, 8]), torch.Size([5, 8]))
    """

    def __init__(
        self,
        identity_channels: int = 32,
        position_channels: int = 128,
        hidden_channels: int = 64,
        heads: int = 4,
        num_walks: int = 12,
        walk_length: int = 6,
        aw_length: int = 5,
        window: int = 2,
        code_hops: int = 2,
        target_walks: int = 4000,
        num_negatives: int = 5,
        beta: float = 1.0,
        temperature: float = 1.0,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 3e-3,
        seed: int = 0,
    ):
        super().__init__()
        from graphrep.walks import anonymous_walk_patterns

        for name, value in (("identity_channels", identity_channels), ("position_channels", position_channels),
                            ("hidden_channels", hidden_channels), ("heads", heads), ("num_walks", num_walks),
                            ("walk_length", walk_length), ("aw_length", aw_length), ("code_hops", code_hops),
                            ("target_walks", target_walks), ("epochs", epochs), ("batch_size", batch_size)):
            if not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if position_channels % heads:
            raise ValueError(f"position_channels ({position_channels}) must be divisible by heads ({heads})")
        if identity_channels < 2:
            raise ValueError(f"identity_channels must be >= 2 (a learned part and the log-degree), "
                             f"got {identity_channels}")
        if aw_length > walk_length:
            raise ValueError(f"aw_length ({aw_length}) must be <= walk_length ({walk_length})")
        if not 1 <= window <= walk_length:
            raise ValueError(f"window must be in [1, walk_length={walk_length}], got {window}")
        if num_negatives < 0:
            raise ValueError(f"num_negatives must be >= 0, got {num_negatives}")
        if beta < 0:
            raise ValueError(f"beta must be >= 0, got {beta}")
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        if lr <= 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        self.identity_channels = identity_channels
        self.position_channels = position_channels
        self.num_walks = num_walks
        self.walk_length = walk_length
        self.aw_length = aw_length
        self.window = window
        self.code_hops = code_hops
        self.target_walks = target_walks
        self.num_negatives = num_negatives
        self.beta = beta
        self.temperature = temperature
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.seed = seed
        self.history_: list[dict[str, float]] = []

        num_patterns = anonymous_walk_patterns(aw_length).shape[0]
        num_stats = stats_dim(num_patterns, walk_length)
        # The last column of the identity embedding is a skip path: the
        # node's standardised log-degree, kept exact rather than compressed.
        self.identity_encoder = IdentityEncoder(num_patterns, walk_length, num_stats, hidden_channels,
                                                identity_channels - 1, heads)
        self.position_encoder = PositionEncoder(num_stats, position_channels, identity_channels, walk_length,
                                                hidden_channels, heads)
        self.identity_decoder = nn.Sequential(
            nn.Linear(identity_channels, hidden_channels), nn.ReLU(),
            nn.Linear(hidden_channels, num_stats),
        )
        self.num_patterns = num_patterns
        # The walk statistics are standardised with the training graph's
        # column means and deviations (set by fit, saved in the state dict).
        self.register_buffer("stats_mean", torch.zeros(num_stats))
        self.register_buffer("stats_std", torch.ones(num_stats))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.identity_encoder.reset_parameters()
        self.position_encoder.reset_parameters()
        for module in self.identity_decoder:
            if isinstance(module, nn.Linear):
                module.reset_parameters()

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def features(self, graph: Any, seed: int | None = None) -> WalkFeatures:
        """The walk features of ``graph`` (see
        :func:`~graphrep.nn.models.irwe_features.walk_features`) with this
        model's walk settings."""
        return walk_features(
            _checked_graph(graph), num_walks=self.num_walks, walk_length=self.walk_length,
            aw_length=self.aw_length, target_walks=self.target_walks, code_dim=self.position_channels,
            code_hops=self.code_hops,
            seed=self.seed if seed is None else seed,
        )

    def fit(self, graph: Any, *, epochs: int | None = None) -> "IRWE":
        """Trains both encoders on ``graph`` (re-initialising them) and returns
        ``self``; per-epoch losses go to ``history_``.

        Args:
            graph: anything :func:`graphrep.as_graph` accepts.
            epochs: overrides the constructor's ``epochs``.
        """
        graph = _checked_graph(graph)
        epochs = self.epochs if epochs is None else epochs
        if not isinstance(epochs, (int, np.integer)) or epochs < 1:
            raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
        rng = np.random.default_rng(self.seed)
        features = self.features(graph)
        stats = torch.from_numpy(features.node_stats)
        std = stats.std(dim=0, unbiased=False)
        self.stats_mean.copy_(stats.mean(dim=0))
        self.stats_std.copy_(torch.where(std > 1e-6, std, torch.ones_like(std)))
        inputs = _Inputs(features, self.stats_mean, self.stats_std)
        aw_target = inputs.raw_stats[:, : self.num_patterns]
        stats_target = inputs.node_stats[:, self.num_patterns:]
        n = graph.num_nodes
        self.history_ = []
        with torch.random.fork_rng(devices=_cuda_devices(self.device)):
            torch.manual_seed(self.seed)
            self.reset_parameters()
            optimizer = torch.optim.Adam(self.parameters(), lr=self.lr)
            self.train()
            for epoch in progress(range(epochs), desc="IRWE fit"):
                code_seed = int(rng.integers(0, 2**31 - 1))
                inputs.set_position_code(random_position_code(features, self.position_channels, code_seed,
                                                                 self.code_hops))
                totals = {"identity": 0.0, "position": 0.0}
                order = rng.permutation(n)
                for start in range(0, n, self.batch_size):
                    batch = torch.from_numpy(order[start:start + self.batch_size]).to(self.device)
                    walk_pick = torch.from_numpy(rng.integers(0, self.num_walks, batch.numel())).to(self.device)
                    step_pick = torch.from_numpy(rng.integers(1, self.window + 1, batch.numel())).to(self.device)
                    context = inputs.walks[batch, walk_pick, step_pick]
                    nodes = torch.cat([batch, context])
                    identity = inputs.identity(self.identity_encoder, nodes)
                    position = inputs.position(self.position_encoder, nodes, identity)
                    decoded = self.identity_decoder(identity[: batch.numel()])
                    loss_id = identity_loss(decoded[:, : self.num_patterns], aw_target[batch],
                                            decoded[:, self.num_patterns:], stats_target[batch])
                    anchor, positive = position.split(batch.numel())
                    # Negatives are the other anchors: nodes drawn uniformly.
                    loss_pos = skipgram_loss(anchor, positive, self.num_negatives, negatives=anchor,
                                             temperature=self.temperature)
                    loss = loss_id + self.beta * loss_pos
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    totals["identity"] += loss_id.item() * batch.numel() / n
                    totals["position"] += loss_pos.item() * batch.numel() / n
                self.history_.append({"epoch": epoch, **totals})
        self.eval()
        return self

    @torch.no_grad()
    def embed(self, graph: Any, *, seed: int | None = None) -> tuple[Tensor, Tensor]:
        """Identity and position embeddings of every node of ``graph``: the
        training graph, a grown version of it, or an unseen graph.

        Nodes are processed in batches of ``batch_size``; walks and the random
        position code are drawn from ``seed`` (default: the model's seed), so
        the result is reproducible.

        Returns:
            ``(identity [n, identity_channels], position [n, position_channels])``
            as float CPU tensors, rows in the order of
            :func:`graphrep.as_graph` (``as_graph(graph).node_ids``).
        """
        graph = _checked_graph(graph)
        was_training = self.training
        self.eval()
        inputs = _Inputs(self.features(graph, seed), self.stats_mean, self.stats_std)
        identities, positions = [], []
        for start in range(0, graph.num_nodes, self.batch_size):
            nodes = torch.arange(start, min(start + self.batch_size, graph.num_nodes), device=self.device)
            identity = inputs.identity(self.identity_encoder, nodes)
            identities.append(identity.cpu())
            positions.append(inputs.position(self.position_encoder, nodes, identity).cpu())
        self.train(was_training)
        return torch.cat(identities), torch.cat(positions)

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}(identity_channels={self.identity_channels}, "
                f"position_channels={self.position_channels}, num_walks={self.num_walks}, "
                f"walk_length={self.walk_length}, aw_length={self.aw_length})")


class _Inputs:
    """The walk features of one graph as tensors on the model's device."""

    def __init__(self, features: WalkFeatures, stats_mean: Tensor, stats_std: Tensor):
        device = stats_mean.device
        self.walks = torch.from_numpy(features.walks).to(device)  # [n, W, L + 1]
        self.aw_index = torch.from_numpy(features.aw_index).to(device)  # [n, W]
        self.degree_seq = torch.from_numpy(features.degree_seq).to(device)  # [n, W, L + 1]
        self.raw_stats = torch.from_numpy(features.node_stats).to(device)  # [n, S]
        self.node_stats = (self.raw_stats - stats_mean) / stats_std  # [n, S]
        # Step 0 of every walk is the node itself: the mean log-degree met
        # at step 0 (first column after the anonymous-walk distribution) is
        # log(1 + deg(v)).
        self.log_degree_column = features.num_patterns
        self.set_position_code(features.position_code)

    def set_position_code(self, code: np.ndarray) -> None:
        self.node_code = torch.from_numpy(code).to(self.node_stats.device)  # [n, code_dim]

    def identity(self, encoder: IdentityEncoder, nodes: Tensor) -> Tensor:
        learned = encoder(self.aw_index[nodes], self.degree_seq[nodes], self.node_stats[nodes])
        return torch.cat([learned, self.node_stats[nodes, self.log_degree_column, None]], dim=-1)

    def position(self, encoder: PositionEncoder, nodes: Tensor, identity: Tensor) -> Tensor:
        token_nodes = self.walks[nodes].flatten(1)  # [B, W * (L + 1)]
        visited, local = torch.unique(token_nodes, return_inverse=True)
        return encoder(self.node_stats[visited], self.node_code[visited], local, identity)


def _checked_graph(graph: Any) -> CSRGraph:
    try:
        return as_graph(graph)
    except ValueError as error:
        raise type(error)(f"graph: {error}") from error


def _cuda_devices(device: torch.device) -> list[int]:
    return [device.index or 0] if device.type == "cuda" else []
