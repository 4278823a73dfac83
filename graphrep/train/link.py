"""The common link-prediction training loop.

A full-batch encoder, mini-batches of positive target links with as many
sampled negatives, optional target link removal (a batch's positive links
are removed from the graph the model sees), evaluation on OGB-style
validation / test splits with OGB's ``Evaluator``, early stopping on the
validation metric, checkpoints with exact resume, and mean / std over runs.

Works with any ``encoder(x, adj) -> [n, d]`` and ``predictor(h, adj, pairs)
-> [B]`` (e.g. :class:`~graphrep.nn.link.NCNEncoder` with
:class:`~graphrep.nn.link.NCNPredictor`, :class:`~graphrep.nn.link.NCNCPredictor`
or :class:`~graphrep.nn.link.InnerProductPredictor`), on CPU or CUDA.
"""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, replace
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphrep._validate import check_index_dtype, check_int
from graphrep.nn.link.adjacency import link_adjacency, remove_links
from graphrep.train.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from graphrep.train.distributed import World
from graphrep.train.metrics import link_metrics
from graphrep.utils import progress

__all__ = [
    "LinkSplit", "LinkTrainConfig", "random_link_split", "ogb_link_split",
    "train_link_predictor", "evaluate_link_predictor", "summarize_runs",
]


@dataclass
class LinkSplit:
    """Positive and negative node pairs of a link-prediction task, each
    ``[2, k]`` with every undirected link once.

    Attributes:
        num_nodes: number of nodes.
        x: node features ``[n, f]``, node ids ``[n]`` for embedding tables,
            or ``None`` (then ``torch.arange(n)``).
        train, valid, valid_neg, test, test_neg: the pairs.
        test_graph: links the encoder sees at test time (default: ``train``);
            ogbl-collab uses train + valid.
        negatives_per_positive: for MRR (ogbl-citation2): ``valid_neg`` /
            ``test_neg`` hold this many negatives per positive, positive-major.
    """

    num_nodes: int
    x: Tensor | None
    train: Tensor
    valid: Tensor
    valid_neg: Tensor
    test: Tensor
    test_neg: Tensor
    test_graph: Tensor | None = None
    negatives_per_positive: int | None = None

    def __post_init__(self):
        self.num_nodes = check_int(self.num_nodes, "num_nodes", minimum=0)
        for name in ("train", "valid", "valid_neg", "test", "test_neg", "test_graph"):
            value = getattr(self, name)
            if value is None and name == "test_graph":
                continue
            if not isinstance(value, Tensor) or value.dim() != 2 or value.size(0) != 2:
                raise ValueError(f"{name} must be a [2, k] tensor of node pairs, "
                                 f"got {getattr(value, 'shape', type(value))}")
            check_index_dtype(value, name)
            if value.numel() and (value.min() < 0 or value.max() >= self.num_nodes):
                raise ValueError(f"{name} has node ids outside [0, num_nodes={self.num_nodes})")

    def node_input(self) -> Tensor:
        """``x``, or the node ids (on the split's device) for a featureless graph."""
        return torch.arange(self.num_nodes, device=self.train.device) if self.x is None else self.x

    def to(self, device: str | torch.device) -> "LinkSplit":
        moved = {key: (value.to(device) if isinstance(value, Tensor) else value)
                 for key, value in self.__dict__.items()}
        return LinkSplit(**moved)


def random_link_split(edge_index: Tensor, num_nodes: int, *, x: Tensor | None = None,
                      val_ratio: float = 0.1, test_ratio: float = 0.2, valid_neg_ratio: float = 2.0,
                      seed: int = 0) -> LinkSplit:
    """A random split of the undirected links of ``edge_index`` into train /
    valid / test (the NCN Planetoid protocol: 70 / 10 / 20), with negative
    pairs drawn uniformly from the node pairs that are not links of the whole
    graph: as many as positives for test, ``valid_neg_ratio`` times as many
    for valid. The default 2 is the published NCN split's: PyG's
    ``train_test_split_edges`` draws validation negatives for a 20%
    validation part, and half of those positives then go back to training.
    Seeded.

    Example:
        >>> ring = torch.stack([torch.arange(10), (torch.arange(10) + 1) % 10])
        >>> split = random_link_split(ring, 10, seed=0)
        >>> split.train.size(1), split.valid.size(1), split.test.size(1)
        (7, 1, 2)
        >>> split.valid_neg.size(1), split.test_neg.size(1)
        (2, 2)
    """
    if not 0 < val_ratio < 1 or not 0 < test_ratio < 1 or val_ratio + test_ratio >= 1:
        raise ValueError("val_ratio and test_ratio must be in (0, 1) with a sum below 1, "
                         f"got {val_ratio}, {test_ratio}")
    if valid_neg_ratio <= 0:
        raise ValueError(f"valid_neg_ratio must be positive, got {valid_neg_ratio}")
    num_nodes = check_int(num_nodes, "num_nodes", minimum=0)
    seed = check_int(seed, "seed")
    adj = link_adjacency(edge_index, num_nodes)
    row = torch.repeat_interleave(torch.arange(num_nodes), adj.crow_indices().diff())
    col = adj.col_indices()
    links = torch.stack([row, col])[:, row < col]
    generator = torch.Generator().manual_seed(seed)
    links = links[:, torch.randperm(links.size(1), generator=generator)]
    num_val = int(math.floor(val_ratio * links.size(1)))
    num_test = int(math.floor(test_ratio * links.size(1)))
    valid, test, train = links[:, :num_val], links[:, num_val:num_val + num_test], links[:, num_val + num_test:]
    num_val_neg = max(1, round(valid_neg_ratio * num_val)) if num_val else 0
    negatives = _non_links(adj, num_val_neg + num_test, generator)
    return LinkSplit(num_nodes=num_nodes, x=x, train=train, valid=valid, valid_neg=negatives[:, :num_val_neg],
                     test=test, test_neg=negatives[:, num_val_neg:])


def _link_keys(adj: Tensor) -> Tensor:
    """The links of a CSR adjacency as sorted row-major keys ``u * n + v``
    (both directions; CSR rows hold sorted columns)."""
    n, crow = adj.size(0), adj.crow_indices()
    return torch.repeat_interleave(torch.arange(n, device=crow.device), crow.diff()) * n + adj.col_indices()


def _non_links(adj: Tensor, count: int, generator: torch.Generator) -> Tensor:
    """``count`` distinct node pairs ``u < v`` that are not links of ``adj``."""
    n = adj.size(0)
    if count > n * (n - 1) // 2 - adj._nnz() // 2:
        raise ValueError(f"the graph has fewer than {count} non-links to sample as negatives")
    existing = _link_keys(adj)
    chosen = torch.empty(0, dtype=torch.long)
    while chosen.numel() < count:
        draw = torch.randint(0, n, (2, 2 * (count - chosen.numel()) + 16), generator=generator)
        u, v = draw.min(0).values, draw.max(0).values
        keys = (u * n + v)[u < v]
        keys = keys[~torch.isin(keys, existing) & ~torch.isin(keys, chosen)]
        keys = keys[np.sort(np.unique(keys.numpy(), return_index=True)[1])]  # first occurrences, in draw order
        chosen = torch.cat([chosen, keys])[:count]
    return torch.stack([torch.div(chosen, n, rounding_mode="floor"), chosen % n])


def ogb_link_split(dataset, *, valid_as_input: bool = False) -> LinkSplit:
    """A :class:`LinkSplit` from an OGB link dataset (as returned by
    :func:`graphrep.datasets.load_ogb`): its ``get_edge_split`` in either of
    OGB's layouts (``edge`` / ``edge_neg`` or ``source_node`` /
    ``target_node`` / ``target_node_neg``). Node features become ``x`` when
    present (ogbl-ppa's one-hot types become type ids); featureless graphs
    (ogbl-ddi) get ``x = None``. ``valid_as_input`` adds the validation
    links to the test-time graph (the ogbl-collab protocol)."""
    data = dataset[0]
    split = dataset.get_edge_split()
    num_nodes = int(data.num_nodes)

    def pairs(part: dict, negative: bool) -> tuple[Tensor, int | None]:
        if "edge" in part:
            return (part["edge_neg"] if negative else part["edge"]).t().long().contiguous(), None
        source = part["source_node"].long()
        if not negative:
            return torch.stack([source, part["target_node"].long()]), None
        targets = part["target_node_neg"].long()  # [k, num_neg]
        return torch.stack([source.repeat_interleave(targets.size(1)), targets.flatten()]), targets.size(1)

    train, _ = pairs(split["train"], False)
    valid, _ = pairs(split["valid"], False)
    valid_neg, per_positive = pairs(split["valid"], True)
    test, _ = pairs(split["test"], False)
    test_neg, _ = pairs(split["test"], True)
    x = getattr(data, "x", None)
    if x is not None and dataset.name == "ogbl-ppa":
        x = x.argmax(-1)
    elif x is not None:
        x = x.float()
    return LinkSplit(num_nodes=num_nodes, x=x, train=train, valid=valid, valid_neg=valid_neg, test=test,
                     test_neg=test_neg, test_graph=torch.cat([train, valid], 1) if valid_as_input else None,
                     negatives_per_positive=per_positive)


@dataclass
class LinkTrainConfig:
    """Hyperparameters of :func:`train_link_predictor`.

    Attributes:
        epochs: most training epochs.
        batch_size: positive target links per step (with as many negatives),
            over all ranks when training data-parallel.
        eval_batch_size: pairs scored at once in evaluation.
        encoder_lr, predictor_lr: Adam learning rates.
        target_link_removal: drop a batch's positive links from the graph.
        metrics: metrics computed on valid and test (``"hits@K"``, ``"mrr"``).
        metric: the validation metric that selects the best epoch.
        eval_every: evaluate every this many epochs (and after the last).
        patience: stop after this many evaluations without improvement.
        time_budget_s: stop after the epoch that exceeds this training time.
        train_fraction: use a random fraction of the training links per epoch.
    """

    epochs: int = 100
    batch_size: int = 1152
    eval_batch_size: int = 8192
    encoder_lr: float = 1e-3
    predictor_lr: float = 1e-3
    target_link_removal: bool = True
    metrics: tuple[str, ...] = ("hits@20", "hits@50", "hits@100")
    metric: str = "hits@100"
    eval_every: int = 1
    patience: int | None = None
    time_budget_s: float | None = None
    train_fraction: float = 1.0

    def __post_init__(self):
        self.metrics = tuple(self.metrics)
        if self.metric not in self.metrics:
            raise ValueError(f"metric {self.metric!r} must be one of metrics {self.metrics}")
        for name in ("epochs", "batch_size", "eval_batch_size", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.patience is not None and self.patience < 1:
            raise ValueError(f"patience must be >= 1 or None, got {self.patience}")
        if not 0 < self.train_fraction <= 1:
            raise ValueError(f"train_fraction must be in (0, 1], got {self.train_fraction}")


def _negative_pairs(adj: Tensor, count: int, max_rounds: int = 1000) -> Tensor:
    """``count`` uniform random node pairs that are not links of ``adj`` (nor
    self-pairs): the training negatives of NCN's code, which draws them with
    PyG's ``negative_sampling`` over the training graph. Excluding the links
    matters on dense graphs: about 12% of uniform pairs of ogbl-ddi are
    training links, which would be trained as negatives too."""
    num_nodes, device = adj.size(0), adj.device
    keys = _link_keys(adj)  # sorted: one batched searchsorted finds the pairs that are links
    pairs = torch.empty(2, count, dtype=torch.long, device=device)
    pending = torch.arange(count, device=device)
    for _ in range(max_rounds):
        u = torch.randint(0, num_nodes, (pending.numel(),), device=device)
        v = (u + torch.randint(1, num_nodes, (pending.numel(),), device=device)) % num_nodes
        pairs[0, pending], pairs[1, pending] = u, v
        if keys.numel():
            query = u * num_nodes + v
            found = keys[torch.searchsorted(keys, query).clamp(max=keys.numel() - 1)] == query
            pending = pending[found]
        else:
            pending = pending[:0]
        if pending.numel() == 0:
            return pairs
    raise ValueError(f"could not draw {count} non-links in {max_rounds} rounds: the training graph "
                     f"({keys.numel() // 2} links on {num_nodes} nodes) is nearly complete")


class _LinkModel(nn.Module):
    """Encoder and predictor as one module: one call per training step
    encodes the graph and scores the pairs, so DistributedDataParallel sees
    one forward per backward (the NCNC completion recursion runs inside it,
    without gradient)."""

    def __init__(self, encoder: nn.Module, predictor: nn.Module):
        super().__init__()
        self.encoder = encoder
        self.predictor = predictor

    def forward(self, x: Tensor, adj: Tensor, pairs: Tensor) -> Tensor:
        return self.predictor(self.encoder(x, adj), adj, pairs)


def _epoch_links(adj: Tensor, num_train: int, count: int, device: torch.device,
                 world: World) -> tuple[Tensor, Tensor]:
    """The epoch's shuffled positive training links (``count`` indices) and
    one negative pair each, drawn by rank 0 exactly as a single process draws
    them and sent to the other ranks, so that every rank walks the same
    global batches."""
    if world.is_main:
        order = torch.randperm(num_train, device=device)[:count]
        negatives = _negative_pairs(adj, count)
        if world.size == 1:
            return order, negatives
        links = torch.cat([order.view(1, -1), negatives])
    else:
        links = torch.empty(3, count, dtype=torch.long, device=device)
    world.broadcast(links)
    return links[0], links[1:]


def _link_loss(pos_out: Tensor, neg_out: Tensor, batch_size: int, world: World) -> Tensor:
    """``-log σ(pos) - log(1 - σ(neg))``, each averaged over the step's
    ``batch_size`` links. In one process these are plain means; a rank holds
    only its part of the batch, so it sums its terms and multiplies by
    ``world.size / batch_size``: DDP's gradient average over the ranks is
    then exactly the gradient of the whole batch's mean, however unevenly the
    batch divides."""
    if world.size == 1:
        return F.softplus(-pos_out).mean() + F.softplus(neg_out).mean()
    return (F.softplus(-pos_out).sum() + F.softplus(neg_out).sum()) * (world.size / batch_size)


def _train_epoch(model: nn.Module, split: LinkSplit, adj: Tensor, x: Tensor, optimizer: torch.optim.Optimizer,
                 config: LinkTrainConfig, world: World = World()) -> float:
    """One pass over the (``train_fraction`` of the) training links in
    global batches of ``config.batch_size``; rank ``r`` scores part ``r`` of
    every batch, and every rank removes the whole batch's links from the
    graph (target link removal), as one process stepping on the whole batch
    does. Returns the mean batch loss (the same on every rank)."""
    model.train()
    num_train = split.train.size(1)
    count = max(1, int(round(config.train_fraction * num_train)))
    order, negatives = _epoch_links(adj, num_train, count, split.train.device, world)
    losses = []
    for start in range(0, count, config.batch_size):
        batch = order[start:start + config.batch_size]
        positive = split.train[:, batch]
        graph = remove_links(adj, positive) if config.target_link_removal else adj
        mine = world.part(batch.numel())
        positive, negative = positive[:, mine], negatives[:, start:start + config.batch_size][:, mine]
        optimizer.zero_grad()
        # One predictor call for positives and negatives: node-level work is shared.
        out = model(x, graph, torch.cat([positive, negative], 1))
        loss = _link_loss(out[:positive.size(1)], out[positive.size(1):], batch.numel(), world)
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    losses = torch.stack(losses)
    if world.size > 1:  # a rank's loss is its share of the batch's: the batch's is the sum over ranks / size
        losses = world.all_reduce(losses) / world.size
    return float(losses.mean())


def _eval_batches(counts: dict[str, int], batch_size: int) -> list[tuple[str, int, int]]:
    """The evaluation batches ``(part, start, stop)`` of every part, in the
    order one process scores them; rank ``r`` scores batches ``r, r + size, ...``."""
    return [(name, start, min(start + batch_size, count)) for name, count in counts.items()
            for start in range(0, count, batch_size)]


@torch.no_grad()
def evaluate_link_predictor(encoder: nn.Module, predictor: nn.Module, split: LinkSplit,
                            config: LinkTrainConfig, *, adj: Tensor | None = None,
                            test_adj: Tensor | None = None, world: World | None = None,
                            ) -> dict[str, dict[str, float]]:
    """Metrics on the validation and test pairs (models in eval mode):
    ``{"valid": {...}, "test": {...}}``. ``adj`` defaults to the training
    links' adjacency, ``test_adj`` to ``split.test_graph``'s (else ``adj``).

    With several ranks (``world``, default: the process group in use, see
    :mod:`graphrep.train.distributed`), every rank encodes the graph and
    scores every ``size``-th batch of ``config.eval_batch_size`` pairs; the
    scores are gathered, so every rank computes the metrics of exactly the
    scores one process computes (the batches are the same)."""
    world = World.current(split.train.device) if world is None else world
    results = {}
    for name, scores in _link_scores(encoder, predictor, split, config, adj, test_adj, world).items():
        positives = getattr(split, name).size(1)
        pos, neg = scores[:positives], scores[positives:]
        if split.negatives_per_positive is not None:
            neg = neg.view(-1, split.negatives_per_positive)
        results[name] = link_metrics(pos, neg, config.metrics)
    return results


@torch.no_grad()
def _link_scores(encoder: nn.Module, predictor: nn.Module, split: LinkSplit, config: LinkTrainConfig,
                 adj: Tensor | None, test_adj: Tensor | None, world: World) -> dict[str, Tensor]:
    """The scores of ``valid`` + ``valid_neg`` and of ``test`` + ``test_neg``
    (on the CPU, every rank holding all of them)."""
    encoder.eval()
    predictor.eval()
    x = split.node_input()
    adj = link_adjacency(split.train, split.num_nodes) if adj is None else adj
    if test_adj is None:
        test_adj = adj if split.test_graph is None else link_adjacency(split.test_graph, split.num_nodes)
    h = encoder(x, adj)
    parts = {"valid": (adj, h), "test": (test_adj, h if test_adj is adj else encoder(x, test_adj))}
    pairs = {name: torch.cat([getattr(split, name), getattr(split, f"{name}_neg")], 1) for name in parts}
    batches = _eval_batches({name: value.size(1) for name, value in pairs.items()}, config.eval_batch_size)
    mine = range(world.rank, len(batches), world.size)
    scores = [predictor(parts[name][1], parts[name][0], pairs[name][:, start:stop]) for name, start, stop in
              (batches[index] for index in mine)]
    if world.size > 1:
        scores = _gather_batches(scores, batches, world, h.new_empty(0))
    joined = {}
    for name in parts:
        part = [score.cpu() for (batch, _, _), score in zip(batches, scores) if batch == name]
        joined[name] = torch.cat(part) if part else torch.empty(0)
    return joined


def _gather_batches(mine: list[Tensor], batches: list[tuple[str, int, int]], world: World,
                    empty: Tensor) -> list[Tensor]:
    """Every evaluation batch's scores, in batch order, from each rank's
    scores of its batches (``r, r + size, ...``; ``empty`` stands for none)."""
    sizes = [[stop - start for _, start, stop in batches[rank::world.size]] for rank in range(world.size)]
    local = torch.cat(mine) if mine else empty
    gathered = world.all_gather(local, [sum(rank_sizes) for rank_sizes in sizes])
    scores: list[Tensor] = [None] * len(batches)  # type: ignore[list-item]
    for rank, (rank_scores, rank_sizes) in enumerate(zip(gathered, sizes)):
        for offset, part in enumerate(rank_scores.split(rank_sizes)):
            scores[rank + offset * world.size] = part
    return scores


def train_link_predictor(encoder: nn.Module, predictor: nn.Module, split: LinkSplit,
                         config: LinkTrainConfig | None = None, *, device: str | torch.device = "cpu",
                         checkpoint: str | os.PathLike | None = None, resume: bool = False,
                         desc: str = "train", world: World | None = None) -> dict[str, Any]:
    """Trains ``encoder`` and ``predictor`` on ``split`` and returns the
    validation-selected result.

    Each epoch samples one uniform negative pair per positive training link,
    walks the positives in shuffled mini-batches (re-encoding the graph per
    batch, without the batch's positives when ``target_link_removal``), and
    minimises the binary cross-entropy. Every ``eval_every`` epochs it
    evaluates with OGB's ``Evaluator``; the returned test numbers are those of
    the epoch with the best ``config.metric`` on validation. Seed the global
    generators before calling (:func:`graphrep.utils.seed_everything`).

    With ``checkpoint``, the full state (models, optimizer, history, random
    generators, the best epoch's weights as ``best_models``) is written
    atomically after every epoch; ``resume=True`` continues from it (a
    missing file starts fresh) and reaches exactly the result of an
    uninterrupted run.

    Under a process group (``world``, default: the one in use; see
    :mod:`graphrep.train.distributed`) the models are wrapped in
    DistributedDataParallel and ``config.batch_size`` is the *global* batch:
    each of the ``size`` ranks scores its part of every batch (parts differ
    by at most one link; the loss is weighted so the averaged gradient is the
    whole batch's), so the optimisation takes the same steps as one process.
    Rank 0 draws each epoch's order and negatives, evaluation is split and
    gathered, and only rank 0 shows the progress bar and writes the
    checkpoint (with every rank's generator state; it resumes only with the
    same number of ranks). Pass ``device=world.device``.

    Returns:
        ``{"best_epoch", "valid", "test", "epochs_run", "stopped",
        "train_time_s", "epoch_time_s", "history"}`` (the same on every rank).

    Example:
        >>> from graphrep.nn.link import NCNEncoder, NCNPredictor
        >>> from graphrep.utils import seed_everything
        >>> seed_everything(0)
        >>> ring = torch.stack([torch.arange(30), (torch.arange(30) + 1) % 30])
        >>> split = random_link_split(ring, 30, seed=0)
        >>> config = LinkTrainConfig(epochs=2, batch_size=8, metrics=("hits@5",), metric="hits@5")
        >>> result = train_link_predictor(NCNEncoder(None, 8, num_embeddings=30), NCNPredictor(8, 8), split, config)
        >>> result["epochs_run"], sorted(result["test"])
        (2, ['hits@5'])
    """
    config = LinkTrainConfig() if config is None else config
    device = torch.device(device)
    world = World.current(device) if world is None else world
    if world.backend == "nccl" and device.type != "cuda":
        raise ValueError(f"the process group uses nccl, which needs CUDA tensors; got device={device} "
                         "(pass device=world.device)")
    encoder.to(device)
    predictor.to(device)
    split = split.to(device)
    x = split.node_input()
    adj = link_adjacency(split.train, split.num_nodes)
    test_adj = adj if split.test_graph is None else link_adjacency(split.test_graph, split.num_nodes)
    model = _LinkModel(encoder, predictor)
    optimizer = torch.optim.Adam([{"params": list(encoder.parameters()), "lr": config.encoder_lr},
                                  {"params": list(predictor.parameters()), "lr": config.predictor_lr}])
    state = {"epoch": 0, "best": None, "history": [], "stale": 0, "train_time_s": 0.0, "stopped": None}
    best_models = None
    world.diverge_generators()
    if resume and checkpoint is not None:
        location = device if world.size == 1 else "cpu"  # rank 0 reads, the others receive it
        saved = world.from_main(lambda: load_checkpoint(checkpoint, map_location=location)
                                if os.path.exists(checkpoint) else None)
        if saved is not None:
            _check_resumable(saved, checkpoint, config, world)
            encoder.load_state_dict(saved["encoder"])
            predictor.load_state_dict(saved["predictor"])
            optimizer.load_state_dict(saved["optimizer"])
            set_rng_state(saved["rng"] if world.size == 1 else saved["rng"][world.rank])
            state = saved["state"]
            best_models = saved.get("best_models")
    trained = world.wrap(model)
    bar = progress(total=config.epochs, desc=desc, disable=None if world.is_main else True)
    bar.update(state["epoch"])
    for epoch in range(state["epoch"] + 1, config.epochs + 1):
        if state["stopped"] is not None:
            break
        start = time.perf_counter()
        loss = _train_epoch(trained, split, adj, x, optimizer, config, world)
        # Rank 0's clock decides the time budget, so that every rank stops after the same epoch.
        state["train_time_s"] += world.broadcast_object(time.perf_counter() - start)
        record = {"epoch": epoch, "loss": loss}
        postfix = {"loss": f"{loss:.4f}"}
        last = epoch == config.epochs or (config.time_budget_s is not None
                                          and state["train_time_s"] >= config.time_budget_s)
        if epoch % config.eval_every == 0 or last:
            record.update(evaluate_link_predictor(encoder, predictor, split, config, adj=adj, test_adj=test_adj,
                                                  world=world))
            score = record["valid"][config.metric]
            if state["best"] is None or score > state["best"]["valid"][config.metric]:
                state["best"] = {"epoch": epoch, "valid": record["valid"], "test": record["test"]}
                state["stale"] = 0
                if checkpoint is not None:
                    best_models = {"epoch": epoch, "encoder": _cpu_copy(encoder.state_dict()),
                                   "predictor": _cpu_copy(predictor.state_dict())}
            else:
                state["stale"] += 1
            postfix.update(valid=f"{score:.4f}", best=f"{state['best']['valid'][config.metric]:.4f}")
            if config.patience is not None and state["stale"] >= config.patience:
                state["stopped"] = "patience"
        if config.time_budget_s is not None and state["train_time_s"] >= config.time_budget_s:
            state["stopped"] = state["stopped"] or "time budget"
        state["history"].append(record)
        state["epoch"] = epoch
        if checkpoint is not None:
            rng = rng_state() if world.size == 1 else world.all_gather_object(rng_state())
            if world.is_main:
                save_checkpoint(checkpoint, {
                    "config": asdict(config), "world_size": world.size, "encoder": encoder.state_dict(),
                    "predictor": predictor.state_dict(), "optimizer": optimizer.state_dict(), "rng": rng,
                    "state": state, "best_models": best_models,
                })
        bar.set_postfix(postfix, refresh=False)
        bar.update()
    bar.close()
    del trained  # DistributedDataParallel's gradient hooks go with it
    best = state["best"] or {"epoch": None, "valid": {}, "test": {}}
    return {"best_epoch": best["epoch"], "valid": best["valid"], "test": best["test"],
            "epochs_run": state["epoch"], "stopped": state["stopped"] or "epochs",
            "train_time_s": state["train_time_s"],
            "epoch_time_s": state["train_time_s"] / state["epoch"] if state["epoch"] else None,
            "history": state["history"]}


def _cpu_copy(weights: dict[str, Tensor]) -> dict[str, Tensor]:
    return {name: tensor.detach().to("cpu", copy=True) for name, tensor in weights.items()}


def _check_resumable(saved: dict[str, Any], checkpoint: str | os.PathLike, config: LinkTrainConfig,
                     world: World) -> None:
    if saved["config"] != asdict(replace(config, epochs=saved["config"]["epochs"])):
        raise ValueError(f"checkpoint {checkpoint} was written with another configuration")
    written_by = saved.get("world_size", 1)
    if written_by != world.size:
        raise ValueError(f"checkpoint {checkpoint} was written by a run on {written_by} process(es) and this run "
                         f"has {world.size}: resume it with the same number of processes (torchrun "
                         "--nnodes / --nproc-per-node), or start afresh with another checkpoint path")


def summarize_runs(runs: Sequence[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Mean and (population) standard deviation of every valid / test metric
    over runs, in percent as papers report them.

    Example:
        >>> summarize_runs([{"valid": {"hits@1": 0.5}, "test": {"hits@1": 0.25}},
        ...                 {"valid": {"hits@1": 0.7}, "test": {"hits@1": 0.75}}])["test"]["hits@1"]
        {'mean': 50.0, 'std': 25.0}
    """
    if not runs:
        raise ValueError("runs is empty")
    summary: dict[str, dict[str, dict[str, float]]] = {}
    for part in ("valid", "test"):
        summary[part] = {}
        for metric in runs[0][part]:
            values = 100 * np.array([run[part][metric] for run in runs], dtype=float)
            summary[part][metric] = {"mean": float(values.mean()), "std": float(values.std())}
    return summary
