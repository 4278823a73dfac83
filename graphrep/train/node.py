"""Full-batch node classification training, with or without generated
(augmented) input features."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphrep.nn.augment.consistency import consistency_loss
from graphrep.train.distributed import World
from graphrep.utils import progress

__all__ = ["NodeRun", "train_node_classifier", "pool_sampler"]

_SELECT = ("loss", "acc")


@dataclass
class NodeRun:
    """Outcome of :func:`train_node_classifier`.

    Attributes:
        val_acc: validation accuracy at the selected epoch.
        test_acc: test accuracy at the selected epoch.
        best_epoch: the selected epoch (0-based).
        epochs_run: epochs trained before the end or early stopping.
        history: per epoch ``train_loss``, ``val_loss``, ``val_acc``.
    """

    val_acc: float
    test_acc: float
    best_epoch: int
    epochs_run: int
    history: list[dict[str, float]] = field(default_factory=list, repr=False)


def pool_sampler(pool: Tensor, num_generated: int, *, seed: int = 0) -> Callable[[], Tensor]:
    """A function that returns ``num_generated`` matrices drawn without
    replacement from a pool of pre-generated ones, fresh on every call.

    Sampling a CVAE costs ``O(N x hidden x F)`` per matrix; drawing from a
    pool of a few dozen samples keeps the per-step cost of augmented training
    at that of the backbone.

    Args:
        pool: ``[P, N, F]`` generated matrices (``P >= num_generated``).
        num_generated: matrices per call.
        seed: seeds the draws.

    Example:
        >>> import torch
        >>> draw = pool_sampler(torch.arange(5.0).view(5, 1, 1), 2, seed=0)
        >>> draw().shape
        torch.Size([2, 1, 1])
    """
    if pool.dim() != 3:
        raise ValueError(f"pool must be [P, N, F], got shape {tuple(pool.shape)}")
    if not isinstance(num_generated, int) or not 0 <= num_generated <= pool.shape[0]:
        raise ValueError(f"num_generated must be an int in [0, {pool.shape[0]}], got {num_generated!r}")
    generator = torch.Generator().manual_seed(seed)

    def draw() -> Tensor:
        picks = torch.randperm(pool.shape[0], generator=generator)[:num_generated]
        return pool[picks.to(pool.device)]

    return draw


def train_node_classifier(
    model: nn.Module,
    data: Any,
    split: dict[str, Tensor],
    *,
    epochs: int = 200,
    lr: float = 0.01,
    weight_decay: float = 5e-4,
    patience: int | None = None,
    select: str = "loss",
    generated: Callable[[], Tensor] | None = None,
    num_forward: int = 1,
    consistency: float = 0.0,
    temperature: float = 0.5,
    desc: str | None = None,
    world: World | None = None,
) -> NodeRun:
    r"""Trains ``model`` full batch with cross-entropy on the training nodes
    and selects the epoch with the best validation loss (or accuracy).

    Without ``generated`` the model is called ``model(x, edge_index)``. With
    it (LA-GNN training), each optimisation step runs ``num_forward`` forward
    passes ``model(x, edge_index, generated())``, each on freshly drawn
    generated features, and minimises the mean cross-entropy plus
    ``consistency`` times :func:`~graphrep.nn.consistency_loss` of the passes
    at ``temperature``; validation uses one more draw, and the test accuracy
    is read from the same evaluation pass as the selected validation score.

    Args:
        model: a PyG node classifier returning logits ``[N, C]``.
        data: PyG ``Data`` with ``x``, ``edge_index`` and integer ``y`` (``[N]``
            or ``[N, 1]``), on the model's device.
        split: ``train``, ``valid`` and ``test`` node indices or boolean masks
            (tensors or numpy arrays).
        epochs: maximum epochs.
        lr: Adam learning rate.
        weight_decay: Adam weight decay.
        patience: stop after this many epochs without a better validation
            score (``None``: train all ``epochs``).
        select: ``"loss"`` (lowest validation loss) or ``"acc"``.
        generated: returns a ``[K, N, F]`` tensor of generated features.
        num_forward: forward passes per step (the paper's :math:`S`).
        consistency: weight :math:`\lambda` of the consistency loss.
        temperature: its sharpening temperature.
        desc: progress-bar label.
        world: the processes training together (default: the process group
            in use, else one process; see :mod:`graphrep.train.distributed`).
            Every rank runs the full-graph forward passes; the training nodes
            are split between ranks, each rank's cross-entropy is its share of
            the mean over all training nodes (so DDP's averaged gradient is
            the full one) and its consistency term comes from its own passes
            (different dropout and generated draws per rank). Rank 0
            evaluates and sends the numbers, so every rank selects and stops
            alike; only rank 0 shows the progress bar.

    Example:
        >>> import torch
        >>> from torch_geometric.data import Data
        >>> from graphrep.nn import LAGCN
        >>> _ = torch.manual_seed(0)
        >>> data = Data(x=torch.rand(6, 3), edge_index=torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]]),
        ...             y=torch.tensor([0, 1, 0, 1, 0, 1]))
        >>> split = {"train": torch.arange(2), "valid": torch.arange(2, 4), "test": torch.arange(4, 6)}
        >>> run = train_node_classifier(LAGCN(3, 4, 2, num_generated=0), data, split, epochs=5)
        >>> 0.0 <= run.test_acc <= 1.0, run.epochs_run
        (True, 5)
    """
    if select not in _SELECT:
        raise ValueError(f"select must be one of {_SELECT}, got {select!r}")
    if not isinstance(epochs, int) or epochs <= 0:
        raise ValueError(f"epochs must be a positive int, got {epochs!r}")
    if not isinstance(num_forward, int) or num_forward <= 0:
        raise ValueError(f"num_forward must be a positive int, got {num_forward!r}")
    if patience is not None and (not isinstance(patience, int) or patience <= 0):
        raise ValueError(f"patience must be a positive int or None, got {patience!r}")
    missing = {"train", "valid", "test"} - set(split)
    if missing:
        raise ValueError(f"split lacks {sorted(missing)}")
    x, edge_index = data.x, data.edge_index
    y = data.y.view(-1) if data.y.dim() > 1 else data.y
    index = {name: _as_index(split[name], x.shape[0], name) for name in ("train", "valid", "test")}

    def forward() -> Tensor:
        return model(x, edge_index) if generated is None else model(x, edge_index, generated())

    world = World.current(x.device) if world is None else world
    train = index["train"]
    mine = train[world.part(train.numel())]
    passes = world.wrap(_Passes(model)) if world.size > 1 else None
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best_score, best = None, NodeRun(0.0, 0.0, -1, 0)
    history: list[dict[str, float]] = []
    stale = 0
    bar = progress(total=epochs, desc=desc, disable=None if world.is_main else True)
    world.diverge_generators()
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()
        if passes is None:
            outputs = [forward() for _ in range(num_forward)]
            loss = sum(F.cross_entropy(out[train], y[train]) for out in outputs) / num_forward
        else:
            draws = None if generated is None else [generated() for _ in range(num_forward)]
            outputs = passes(x, edge_index, draws, num_forward)
            # This rank's share of the mean over all training nodes and passes.
            loss = sum(F.cross_entropy(out[mine], y[mine], reduction="sum") for out in outputs) \
                * (world.size / (num_forward * train.numel()))
        if consistency:
            loss = loss + consistency * consistency_loss(outputs, temperature)
        loss.backward()
        optimizer.step()

        val_loss, val_acc, test_acc, train_loss = _evaluate(model, forward, y, index, loss, world)
        history.append({"train_loss": train_loss, "val_loss": val_loss, "val_acc": val_acc})
        bar.set_postfix(loss=f"{train_loss:.4f}", val_acc=f"{val_acc:.4f}", refresh=False)
        bar.update()
        score = -val_loss if select == "loss" else val_acc
        if best_score is None or score > best_score:
            best_score, stale = score, 0
            best = NodeRun(val_acc, test_acc(), epoch, 0)
        else:
            stale += 1
            if patience is not None and stale >= patience:
                break
    bar.close()
    best.epochs_run = len(history)
    best.history = history
    return best


class _Passes(nn.Module):
    """The forward passes of one training step as one module call, so that
    DistributedDataParallel sees one forward per backward."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, x: Tensor, edge_index: Tensor, draws: list[Tensor] | None, passes: int) -> list[Tensor]:
        if draws is None:
            return [self.model(x, edge_index) for _ in range(passes)]
        return [self.model(x, edge_index, generated) for generated in draws]


def _evaluate(model: nn.Module, forward: Callable[[], Tensor], y: Tensor, index: dict[str, Tensor],
              loss: Tensor, world: World) -> tuple[float, float, Callable[[], float], float]:
    """Validation loss and accuracy, the test accuracy (a function: one
    process computes it only for a selected epoch) and the training loss.
    With several ranks, rank 0 evaluates and one all-reduce brings its
    numbers (the others add zeros) and the mean of the ranks' losses (each
    weighted as a share of the whole batch's) to every rank, so all select
    the same epochs."""
    model.eval()
    if world.size == 1:
        with torch.no_grad():
            out = forward()
        return (float(F.cross_entropy(out[index["valid"]], y[index["valid"]])), _accuracy(out, y, index["valid"]),
                lambda: _accuracy(out, y, index["test"]), loss.item())
    numbers = torch.zeros(4, dtype=torch.float64, device=loss.device)
    if world.is_main:
        with torch.no_grad():
            out = forward()
        numbers[:3] = torch.tensor([float(F.cross_entropy(out[index["valid"]], y[index["valid"]])),
                                    _accuracy(out, y, index["valid"]), _accuracy(out, y, index["test"])])
    numbers[3] = loss.detach().double() / world.size
    val_loss, val_acc, test_acc, train_loss = world.all_reduce(numbers).tolist()
    return val_loss, val_acc, lambda: test_acc, train_loss


def _as_index(nodes: Tensor, num_nodes: int, name: str) -> Tensor:
    nodes = torch.as_tensor(nodes)
    if nodes.dtype == torch.bool:
        if nodes.shape != (num_nodes,):
            raise ValueError(f"split[{name!r}] mask must have shape ({num_nodes},), got {tuple(nodes.shape)}")
        return nodes.nonzero().view(-1)
    nodes = nodes.view(-1).long()
    if nodes.numel() == 0:
        raise ValueError(f"split[{name!r}] is empty")
    return nodes


def _accuracy(out: Tensor, y: Tensor, nodes: Tensor) -> float:
    return float((out[nodes].argmax(-1) == y[nodes]).float().mean())

