"""The conditional VAE of LA-GNN: the distribution of a node's neighbours'
features given the node's own features."""
from __future__ import annotations

import copy
import math
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphrep.utils import progress

_LIKELIHOODS = ("auto", "bernoulli", "gaussian")


class LocalAugmenter(nn.Module):
    r"""The conditional variational auto-encoder of *Local Augmentation for
    Graph Neural Networks* (Liu et al., ICML 2022), which learns
    :math:`p_\theta(\mathbf{x}_j \mid \mathbf{x}_i)`, the feature distribution
    of the neighbours :math:`j \in \mathcal{N}(i)` of a node :math:`i`, and
    then generates new neighbour-like feature matrices.

    With latent :math:`\mathbf{z} \in \mathbb{R}^{d_z}` it maximises, over
    every (neighbour, centre) pair of the graph, the evidence lower bound

    .. math::
        \log p_\theta(\mathbf{x}_j \mid \mathbf{x}_i) \ge
        \mathbb{E}_{q_\phi(\mathbf{z} \mid \mathbf{x}_j, \mathbf{x}_i)}
        \log p_\theta(\mathbf{x}_j \mid \mathbf{z}, \mathbf{x}_i)
        - \mathrm{KL}\big(q_\phi(\mathbf{z} \mid \mathbf{x}_j, \mathbf{x}_i)
        \,\|\, \mathcal{N}(\mathbf{0}, \mathbf{I})\big)

    with the encoder :math:`q_\phi` an MLP on
    :math:`[\mathbf{x}_j \,\|\, \mathbf{x}_i]` giving a mean and a log-variance,
    and the decoder an MLP on :math:`[\mathbf{z} \,\|\, \mathbf{x}_i]`. The
    reconstruction term is a Bernoulli likelihood (binary cross-entropy) for
    0/1 bag-of-words features, or a unit-variance Gaussian one (half the
    squared error) on per-feature standardised continuous features.
    :meth:`sample` draws :math:`\mathbf{z} \sim \mathcal{N}(\mathbf{0},
    \mathbf{I})` for every node and returns the decoder's mean: Bernoulli
    probabilities in :math:`[0, 1]`, or Gaussian means clipped to the range
    of the training features.

    Args:
        in_channels: number of node features :math:`F`.
        hidden_channels: width of the encoder's and decoder's hidden layer.
        latent_channels: latent size :math:`d_z`.
        likelihood: ``"bernoulli"``, ``"gaussian"``, or ``"auto"`` (chosen by
            :meth:`fit`: Bernoulli when every feature is 0 or 1).

    Example:
        >>> import torch
        >>> x = (torch.rand(6, 5) < 0.5).float()
        >>> edge_index = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
        >>> augmenter = LocalAugmenter(5, hidden_channels=8, latent_channels=2)
        >>> augmenter = augmenter.fit(x, edge_index, epochs=2, seed=0)
        >>> augmenter.likelihood
        'bernoulli'
        >>> augmenter.sample(x, num_samples=3, seed=0).shape
        torch.Size([3, 6, 5])
    """

    feature_mean: Tensor
    feature_scale: Tensor
    feature_min: Tensor
    feature_max: Tensor

    def __init__(self, in_channels: int, hidden_channels: int = 256, latent_channels: int = 10,
                 likelihood: str = "auto") -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("hidden_channels", hidden_channels),
                            ("latent_channels", latent_channels)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if likelihood not in _LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {_LIKELIHOODS}, got {likelihood!r}")
        self.in_channels = in_channels
        self.hidden_channels = hidden_channels
        self.latent_channels = latent_channels
        self.likelihood = likelihood
        # A linear layer on [a || b] is the sum of one layer on a and one on b;
        # split, the centre's share is computed once per node when sampling.
        self.encoder_neighbour = nn.Linear(in_channels, hidden_channels)
        self.encoder_centre = nn.Linear(in_channels, hidden_channels, bias=False)
        self.encoder_mean = nn.Linear(hidden_channels, latent_channels)
        self.encoder_log_var = nn.Linear(hidden_channels, latent_channels)
        self.decoder_latent = nn.Linear(latent_channels, hidden_channels)
        self.decoder_centre = nn.Linear(in_channels, hidden_channels, bias=False)
        self.decoder_out = nn.Linear(hidden_channels, in_channels)
        self.register_buffer("feature_mean", torch.zeros(in_channels))
        self.register_buffer("feature_scale", torch.ones(in_channels))
        self.register_buffer("feature_min", torch.full((in_channels,), -math.inf))
        self.register_buffer("feature_max", torch.full((in_channels,), math.inf))
        self.history_: list[dict[str, float]] = []

    def reset_parameters(self) -> None:
        for module in self.children():
            module.reset_parameters()

    def get_extra_state(self) -> dict[str, Any]:
        return {"likelihood": self.likelihood}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.likelihood = state["likelihood"]

    def _standardise(self, x: Tensor) -> Tensor:
        return (x - self.feature_mean) / self.feature_scale

    def encode(self, x_neighbour: Tensor, x_centre: Tensor) -> tuple[Tensor, Tensor]:
        """Mean and log-variance of :math:`q_\\phi(\\mathbf{z} \\mid
        \\mathbf{x}_j, \\mathbf{x}_i)`, each ``[B, latent_channels]``, for
        ``[B, F]`` neighbour and centre features."""
        hidden = F.relu(self.encoder_neighbour(self._standardise(x_neighbour))
                        + self.encoder_centre(self._standardise(x_centre)))
        return self.encoder_mean(hidden), self.encoder_log_var(hidden)

    def _decode_logits(self, z: Tensor, centre_hidden: Tensor) -> Tensor:
        return self.decoder_out(F.relu(self.decoder_latent(z) + centre_hidden))

    def _to_features(self, logits: Tensor) -> Tensor:
        if self.likelihood == "bernoulli":
            return torch.sigmoid(logits)
        features = logits * self.feature_scale + self.feature_mean
        return torch.maximum(torch.minimum(features, self.feature_max), self.feature_min)

    def decode(self, z: Tensor, x_centre: Tensor) -> Tensor:
        """The decoder's mean features ``[B, F]`` for latents ``z`` ``[B, d_z]``
        and centre features ``x_centre`` ``[B, F]``."""
        self._require_likelihood()
        return self._to_features(self._decode_logits(z, self.decoder_centre(self._standardise(x_centre))))

    def negative_elbo(self, x_neighbour: Tensor, x_centre: Tensor,
                      generator: torch.Generator | None = None) -> Tensor:
        """The negative ELBO averaged over the ``B`` pairs (one latent draw
        per pair; 0 for no pairs): reconstruction loss summed over features
        plus the KL divergence to the standard normal prior."""
        self._require_likelihood()
        mean, log_var = self.encode(x_neighbour, x_centre)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
        z = mean + noise * torch.exp(0.5 * log_var)
        logits = self._decode_logits(z, self.decoder_centre(self._standardise(x_centre)))
        if self.likelihood == "bernoulli":
            reconstruction = F.binary_cross_entropy_with_logits(logits, x_neighbour, reduction="sum")
        else:
            reconstruction = 0.5 * (logits - self._standardise(x_neighbour)).pow(2).sum()
        kl = -0.5 * torch.sum(1 + log_var - mean.pow(2) - log_var.exp())
        return (reconstruction + kl) / max(x_neighbour.shape[0], 1)

    def forward(self, x_neighbour: Tensor, x_centre: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """The negative ELBO of the pairs, as :meth:`negative_elbo`."""
        return self.negative_elbo(x_neighbour, x_centre, generator)

    def _require_likelihood(self) -> None:
        if self.likelihood == "auto":
            raise RuntimeError("likelihood='auto' is resolved by fit(); call fit() first "
                               "or construct with likelihood='bernoulli' or 'gaussian'")

    @torch.no_grad()
    def _prepare(self, x: Tensor) -> None:
        """Resolves ``likelihood='auto'`` and stores the feature statistics."""
        if self.likelihood == "auto":
            binary = bool(((x == 0) | (x == 1)).all())
            self.likelihood = "bernoulli" if binary else "gaussian"
        if self.likelihood == "gaussian":
            self.feature_mean.copy_(x.mean(0))
            self.feature_scale.copy_(x.std(0).clamp_min(1e-6))
            self.feature_min.copy_(x.min(0).values)
            self.feature_max.copy_(x.max(0).values)
        else:
            self.feature_mean.zero_()
            self.feature_scale.fill_(1.0)
            self.feature_min.fill_(0.0)
            self.feature_max.fill_(1.0)

    def fit(self, data: Any, edge_index: Tensor | None = None, *, epochs: int = 10,
            batch_size: int = 64, lr: float = 0.01, val_ratio: float = 0.05,
            max_val_pairs: int = 100_000, patience: int = 3, eval_every: int | None = None,
            seed: int = 0, score: Callable[["LocalAugmenter"], float] | None = None,
            warmup: int = 0, world: Any = None) -> "LocalAugmenter":
        """Fits the CVAE on every (neighbour, centre) pair of a graph.

        Pairs are streamed: each mini-batch gathers ``batch_size`` rows of
        ``x`` for its neighbours and centres, so memory is ``O(batch_size x
        F)`` beyond ``x`` and ``edge_index``. A random ``val_ratio`` of the
        pairs (at most ``max_val_pairs``) is held out; the negative ELBO on
        them is measured every ``eval_every`` steps (default: once per pass
        over the training pairs), the best weights are kept, and training
        stops after ``patience`` measurements without improvement or after
        ``epochs`` passes. ``history_`` records each measurement.

        With ``score``, the weights are selected by a downstream criterion
        instead: ``score(self)`` is called at every measurement (in eval
        mode, after ``warmup`` steps), the weights with the highest score are
        kept, and ``patience`` counts measurements without a better score.
        The paper selects its CVAE this way, by the agreement of a classifier
        on generated features (see ``examples/node_class/lagnn.py``).

        Args:
            data: a PyG ``Data`` with ``x`` and ``edge_index``, or the feature
                matrix ``x`` ``[N, F]`` (then pass ``edge_index``).
            edge_index: ``[2, E]``; pair ``(x[edge_index[0, e]],
                x[edge_index[1, e]])`` is (neighbour, centre). Self-loops are
                skipped. Give both directions for an undirected graph.
            epochs: maximum passes over the training pairs.
            batch_size: pairs per optimisation step.
            lr: Adam learning rate.
            val_ratio: share of pairs held out for the stopping rule, in
                ``(0, 1)``.
            max_val_pairs: cap on the number of held-out pairs.
            patience: measurements without improvement before stopping.
            eval_every: optimisation steps between measurements.
            seed: seeds the split, the batch order, the latent noise and
                nothing else.
            score: optional selection criterion, higher is better.
            warmup: optimisation steps before ``score`` is first consulted.
            world: several processes fitting together (a
                :class:`graphrep.train.distributed.World`; ``None``: this
                process alone). Every rank holds ``x`` and ``edge_index`` and
                draws the same split and batch order; each takes its part of
                every batch of ``batch_size`` pairs (its loss weighted so that
                DistributedDataParallel's averaged gradient is the whole
                batch's), with its own latent noise. Every rank measures the
                held-out loss; ``score`` is called on rank 0 only and its value
                sent to the others, so all keep the same weights and stop
                together. Only rank 0 shows the progress bar.

        Returns:
            ``self``, holding the best weights found.
        """
        x, edge_index = _features_and_edges(data, edge_index)
        if x.shape[1] != self.in_channels:
            raise ValueError(f"x has {x.shape[1]} features but in_channels={self.in_channels}")
        for name, value in (("epochs", epochs), ("batch_size", batch_size), ("patience", patience),
                            ("max_val_pairs", max_val_pairs)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if not 0.0 < val_ratio < 1.0:
            raise ValueError(f"val_ratio must lie in (0, 1), got {val_ratio!r}")
        if eval_every is not None and (not isinstance(eval_every, int) or eval_every <= 0):
            raise ValueError(f"eval_every must be a positive int or None, got {eval_every!r}")
        if score is not None and not callable(score):
            raise TypeError(f"score must be callable or None, got {type(score).__name__}")
        if not isinstance(warmup, int) or warmup < 0:
            raise ValueError(f"warmup must be a non-negative int, got {warmup!r}")
        device = self.feature_mean.device
        x = x.to(device=device, dtype=self.feature_mean.dtype)
        self._prepare(x)
        source, target = edge_index[0].to(device), edge_index[1].to(device)
        keep = source != target
        source, target = source[keep], target[keep]
        num_pairs = int(source.shape[0])
        if num_pairs < 2:
            raise ValueError("edge_index must hold at least two pairs of distinct nodes")

        size = 1 if world is None else world.size
        cpu_generator = torch.Generator().manual_seed(seed)  # split and batch order: the same on every rank
        noise_generator = torch.Generator(device=device).manual_seed(
            seed + 1 if world is None else world.rank_seed(seed + 1))
        order = torch.randperm(num_pairs, generator=cpu_generator).to(device)
        num_val = min(max(1, int(num_pairs * val_ratio)), max_val_pairs, num_pairs - 1)
        val_pairs, train_pairs = order[:num_val], order[num_val:]
        steps_per_pass = math.ceil(train_pairs.shape[0] / batch_size)
        eval_every = eval_every or steps_per_pass
        optimizer = torch.optim.Adam(self.parameters(), lr=lr)
        model = self if size == 1 else world.wrap(self)

        def validation_loss() -> float:
            val_generator = torch.Generator(device=device).manual_seed(seed + 2)
            total = 0.0
            self.eval()
            with torch.no_grad():
                for batch in val_pairs.split(max(batch_size, 4096)):
                    loss = self.negative_elbo(x[source[batch]], x[target[batch]], val_generator)
                    total += float(loss) * batch.shape[0]
            self.train()
            return total / num_val

        def criterion() -> float | None:
            """What selection maximises: a score or the negative validation loss."""
            if score is None:  # rank 0's number: every rank keeps the same weights and stops together
                value = -self.history_[-1]["val_loss"]
                return value if size == 1 else world.broadcast_object(value)
            if step < warmup:
                return None
            value = None
            if size == 1 or world.is_main:
                self.eval()
                value = float(score(self))
                self.train()
            if size > 1:
                value = world.broadcast_object(value)
            self.history_[-1]["score"] = value
            return value

        step = 0
        self.history_ = [{"step": 0, "val_loss": validation_loss()}]
        best = criterion()
        best = -math.inf if best is None else best
        best_state = copy.deepcopy(self.state_dict())
        stale, running, running_count = 0, 0.0, 0
        self.train()
        bar = progress(total=epochs * steps_per_pass, desc="CVAE pretraining",
                       disable=None if size == 1 or world.is_main else True)
        for _ in range(epochs):
            if stale >= patience:
                break
            shuffled = train_pairs[torch.randperm(train_pairs.shape[0], generator=cpu_generator).to(device)]
            for batch in shuffled.split(batch_size):
                if size == 1:
                    loss = self.negative_elbo(x[source[batch]], x[target[batch]], noise_generator)
                else:  # this rank's share of the batch's mean
                    part = batch[world.part(batch.shape[0])]
                    loss = model(x[source[part]], x[target[part]], noise_generator) \
                        * (part.shape[0] * size / batch.shape[0])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                running += loss.item() * batch.shape[0]
                running_count += batch.shape[0]
                step += 1
                bar.update()
                if step % eval_every:
                    continue
                if size > 1:  # the ranks' shares of the batch losses add up to the batch losses
                    running = float(world.all_reduce(torch.tensor([running], dtype=torch.float64,
                                                                  device=device))) / size
                self.history_.append({"step": step, "train_loss": running / running_count,
                                      "val_loss": validation_loss()})
                running, running_count = 0.0, 0
                value = criterion()
                if value is None:
                    continue
                if value > best:
                    best, stale = value, 0
                    best_state = copy.deepcopy(self.state_dict())
                else:
                    stale += 1
                    if stale >= patience:
                        break
        bar.close()
        del model  # with several ranks: DistributedDataParallel's gradient hooks go with it
        if best > -math.inf:  # else no score came after the warm-up: keep the last weights
            self.load_state_dict(best_state)
        self.eval()
        return self

    @torch.no_grad()
    def sample(self, x: Tensor, num_samples: int = 1, *, seed: int | None = None,
               generator: torch.Generator | None = None, batch_size: int | None = None) -> Tensor:
        """Generates ``num_samples`` neighbour-feature matrices, one latent
        draw per node each.

        Args:
            x: centre features ``[N, F]``, the matrix the CVAE was fitted on
                (or new nodes' features).
            num_samples: number of generated matrices.
            seed: seeds a fresh generator (same seed, same output).
            generator: draws from this generator instead (give one of
                ``seed`` / ``generator`` at most).
            batch_size: nodes decoded at once (default all), to bound memory.

        Returns:
            ``[num_samples, N, F]`` features: Bernoulli probabilities in
            ``[0, 1]``, or Gaussian means within the training features' range.
        """
        self._require_likelihood()
        if not isinstance(x, Tensor) or x.dim() != 2 or x.shape[1] != self.in_channels:
            raise ValueError(f"x must be a [N, {self.in_channels}] tensor, got "
                             f"{tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__}")
        if not isinstance(num_samples, int) or num_samples < 0:
            raise ValueError(f"num_samples must be a non-negative int, got {num_samples!r}")
        if seed is not None and generator is not None:
            raise ValueError("give seed or generator, not both")
        device = self.feature_mean.device
        if seed is not None:
            generator = torch.Generator(device=device).manual_seed(seed)
        x = x.to(device=device, dtype=self.feature_mean.dtype)
        num_nodes = x.shape[0]
        batch_size = batch_size or max(num_nodes, 1)
        out = torch.empty(num_samples, num_nodes, self.in_channels, device=device, dtype=x.dtype)
        for start in range(0, num_nodes, batch_size):
            rows = slice(start, start + batch_size)
            centre_hidden = self.decoder_centre(self._standardise(x[rows]))  # [B, hidden]
            for k in range(num_samples):
                z = torch.randn(centre_hidden.shape[0], self.latent_channels, generator=generator,
                                device=device, dtype=x.dtype)
                out[k, rows] = self._to_features(self._decode_logits(z, centre_hidden))
        return out

    def __repr__(self) -> str:
        return (f"{self.__class__.__name__}({self.in_channels}, hidden_channels={self.hidden_channels}, "
                f"latent_channels={self.latent_channels}, likelihood={self.likelihood!r})")


def _features_and_edges(data: Any, edge_index: Tensor | None) -> tuple[Tensor, Tensor]:
    if edge_index is None:
        if not (hasattr(data, "x") and hasattr(data, "edge_index")):
            raise ValueError("data must be a PyG Data with x and edge_index, or pass x and edge_index")
        x, edge_index = data.x, data.edge_index
    else:
        x = data
    if not isinstance(x, Tensor) or x.dim() != 2 or not x.is_floating_point():
        raise ValueError("x must be a floating-point [N, F] tensor")
    if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.shape[0] != 2:
        raise ValueError("edge_index must be a [2, E] tensor")
    if edge_index.numel() and (int(edge_index.min()) < 0 or int(edge_index.max()) >= x.shape[0]):
        raise ValueError(f"edge_index holds node ids outside [0, {x.shape[0]})")
    return x, edge_index.long()
