"""Full-batch node classification training, with or without generated
(augmented) input features."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from graphrep.nn.augment.consistency import consistency_loss
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

    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best_score, best = None, NodeRun(0.0, 0.0, -1, 0)
    history: list[dict[str, float]] = []
    stale = 0
    bar = progress(range(epochs), desc=desc)
    for epoch in bar:
        model.train()
        optimizer.zero_grad()
        outputs = [forward() for _ in range(num_forward)]
        loss = sum(F.cross_entropy(out[index["train"]], y[index["train"]]) for out in outputs) / num_forward
        if consistency:
            loss = loss + consistency * consistency_loss(outputs, temperature)
        loss.backward()
        optimizer.step()

        model.eval()
        with torch.no_grad():
            out = forward()
        val_loss = float(F.cross_entropy(out[index["valid"]], y[index["valid"]]))
        val_acc = _accuracy(out, y, index["valid"])
        history.append({"train_loss": loss.item(), "val_loss": val_loss, "val_acc": val_acc})
        score = -val_loss if select == "loss" else val_acc
        if best_score is None or score > best_score:
            best_score, stale = score, 0
            best = NodeRun(val_acc, _accuracy(out, y, index["test"]), epoch, 0)
        else:
            stale += 1
            if patience is not None and stale >= patience:
                break
    best.epochs_run = len(history)
    best.history = history
    return best


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

