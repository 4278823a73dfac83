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
        batch_size: positive target links per step (with as many negatives).
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


def _train_epoch(encoder: nn.Module, predictor: nn.Module, split: LinkSplit, adj: Tensor, x: Tensor,
                 optimizer: torch.optim.Optimizer, config: LinkTrainConfig) -> float:
    encoder.train()
    predictor.train()
    device = split.train.device
    num_train = split.train.size(1)
    order = torch.randperm(num_train, device=device)[: max(1, int(round(config.train_fraction * num_train)))]
    negatives = _negative_pairs(adj, order.numel())
    losses = []
    for start in range(0, order.numel(), config.batch_size):
        batch = order[start:start + config.batch_size]
        positive = split.train[:, batch]
        graph = remove_links(adj, positive) if config.target_link_removal else adj
        optimizer.zero_grad()
        h = encoder(x, graph)
        # One predictor call for positives and negatives: node-level work is shared.
        out = predictor(h, graph, torch.cat([positive, negatives[:, start:start + config.batch_size]], 1))
        pos_out, neg_out = out[:positive.size(1)], out[positive.size(1):]
        loss = F.softplus(-pos_out).mean() + F.softplus(neg_out).mean()  # -log σ(pos) - log(1 - σ(neg))
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
    return float(torch.stack(losses).mean())


@torch.no_grad()
def _scores(predictor: nn.Module, h: Tensor, adj: Tensor, pairs: Tensor, batch_size: int) -> Tensor:
    return torch.cat([predictor(h, adj, pairs[:, start:start + batch_size]).cpu()
                      for start in range(0, pairs.size(1), batch_size)]) if pairs.size(1) else torch.empty(0)


@torch.no_grad()
def evaluate_link_predictor(encoder: nn.Module, predictor: nn.Module, split: LinkSplit,
                            config: LinkTrainConfig, *, adj: Tensor | None = None,
                            test_adj: Tensor | None = None) -> dict[str, dict[str, float]]:
    """Metrics on the validation and test pairs (models in eval mode):
    ``{"valid": {...}, "test": {...}}``. ``adj`` defaults to the training
    links' adjacency, ``test_adj`` to ``split.test_graph``'s (else ``adj``)."""
    encoder.eval()
    predictor.eval()
    x = split.node_input()
    adj = link_adjacency(split.train, split.num_nodes) if adj is None else adj
    if test_adj is None:
        test_adj = adj if split.test_graph is None else link_adjacency(split.test_graph, split.num_nodes)
    results = {}
    h = encoder(x, adj)
    for name, graph in (("valid", adj), ("test", test_adj)):
        if graph is not adj:
            h = encoder(x, graph)
        positive = getattr(split, name)
        scores = _scores(predictor, h, graph, torch.cat([positive, getattr(split, f"{name}_neg")], 1),
                         config.eval_batch_size)
        pos, neg = scores[:positive.size(1)], scores[positive.size(1):]
        if split.negatives_per_positive is not None:
            neg = neg.view(-1, split.negatives_per_positive)
        results[name] = link_metrics(pos, neg, config.metrics)
    return results


def train_link_predictor(encoder: nn.Module, predictor: nn.Module, split: LinkSplit,
                         config: LinkTrainConfig | None = None, *, device: str | torch.device = "cpu",
                         checkpoint: str | os.PathLike | None = None, resume: bool = False,
                         desc: str = "train") -> dict[str, Any]:
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
    generators) is written atomically after every epoch; ``resume=True``
    continues from it (a missing file starts fresh) and reaches exactly the
    result of an uninterrupted run.

    Returns:
        ``{"best_epoch", "valid", "test", "epochs_run", "stopped",
        "train_time_s", "history"}``.

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
    encoder.to(device)
    predictor.to(device)
    split = split.to(device)
    x = split.node_input()
    adj = link_adjacency(split.train, split.num_nodes)
    test_adj = adj if split.test_graph is None else link_adjacency(split.test_graph, split.num_nodes)
    optimizer = torch.optim.Adam([{"params": list(encoder.parameters()), "lr": config.encoder_lr},
                                  {"params": list(predictor.parameters()), "lr": config.predictor_lr}])
    state = {"epoch": 0, "best": None, "history": [], "stale": 0, "train_time_s": 0.0, "stopped": None}
    if resume and checkpoint is not None and os.path.exists(checkpoint):
        saved = load_checkpoint(checkpoint, map_location=device)
        if saved["config"] != asdict(replace(config, epochs=saved["config"]["epochs"])):
            raise ValueError(f"checkpoint {checkpoint} was written with another configuration")
        encoder.load_state_dict(saved["encoder"])
        predictor.load_state_dict(saved["predictor"])
        optimizer.load_state_dict(saved["optimizer"])
        set_rng_state(saved["rng"])
        state = saved["state"]
    bar = progress(range(state["epoch"] + 1, config.epochs + 1), desc=desc)
    for epoch in bar:
        if state["stopped"] is not None:
            break
        start = time.perf_counter()
        loss = _train_epoch(encoder, predictor, split, adj, x, optimizer, config)
        state["train_time_s"] += time.perf_counter() - start
        record = {"epoch": epoch, "loss": loss}
        last = epoch == config.epochs or (config.time_budget_s is not None
                                          and state["train_time_s"] >= config.time_budget_s)
        if epoch % config.eval_every == 0 or last:
            record.update(evaluate_link_predictor(encoder, predictor, split, config, adj=adj, test_adj=test_adj))
            score = record["valid"][config.metric]
            if state["best"] is None or score > state["best"]["valid"][config.metric]:
                state["best"] = {"epoch": epoch, "valid": record["valid"], "test": record["test"]}
                state["stale"] = 0
            else:
                state["stale"] += 1
            bar.set_postfix(loss=f"{loss:.4f}", valid=f"{score:.4f}",
                            best=f"{state['best']['valid'][config.metric]:.4f}")
            if config.patience is not None and state["stale"] >= config.patience:
                state["stopped"] = "patience"
        if config.time_budget_s is not None and state["train_time_s"] >= config.time_budget_s:
            state["stopped"] = state["stopped"] or "time budget"
        state["history"].append(record)
        state["epoch"] = epoch
        if checkpoint is not None:
            save_checkpoint(checkpoint, {
                "config": asdict(config), "encoder": encoder.state_dict(), "predictor": predictor.state_dict(),
                "optimizer": optimizer.state_dict(), "rng": rng_state(), "state": state,
            })
    bar.close()
    best = state["best"] or {"epoch": None, "valid": {}, "test": {}}
    return {"best_epoch": best["epoch"], "valid": best["valid"], "test": best["test"],
            "epochs_run": state["epoch"], "stopped": state["stopped"] or "epochs",
            "train_time_s": state["train_time_s"], "history": state["history"]}


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
