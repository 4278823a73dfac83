"""Uniform and node2vec random walks on the canonical CSR graph."""
from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from graphrep._validate import check_int
from graphrep.graph import CSRGraph, as_graph

__all__ = ["sample_walks", "random_walk", "pyg_random_walk", "make_node2vec"]


def sample_walks(
    graph: Any,
    start: Any,
    walk_length: int,
    *,
    p: float = 1.0,
    q: float = 1.0,
    seed: int | None = None,
) -> np.ndarray:
    r"""Samples one random walk from each node in ``start``.

    With ``p = q = 1`` every step moves to a uniformly chosen neighbour
    (DeepWalk). Otherwise the walk is node2vec's second-order walk
    (`Grover and Leskovec, KDD 2016 <https://arxiv.org/abs/1607.00653>`_):
    having come from ``t`` to ``v``, it moves to a neighbour ``x`` of ``v``
    with probability proportional to

    .. math::

        \alpha_{pq}(t, x) = \begin{cases} 1/p & x = t \\ 1 & x \sim t \\
        1/q & \text{otherwise,} \end{cases}

    drawn exactly by rejection sampling (no alias tables, no per-step
    Python). A walk that starts on an isolated node stays there.

    The result depends only on ``seed``: each walk draws from its own
    counter-seeded stream, whatever the number of Numba threads.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts (a
            :class:`~graphrep.CSRGraph` is used as is, without a copy).
        start: ``int[k]`` start nodes (CSR row indices).
        walk_length: number of steps, ``>= 1``.
        p: return parameter, ``> 0``.
        q: in-out parameter, ``> 0``.
        seed: an ``int`` for reproducible walks; ``None`` draws fresh entropy.

    Returns:
        ``int64[k, walk_length + 1]``; column 0 is ``start``.

    Example:
        >>> from graphrep import as_graph
        >>> g = as_graph(np.array([[0, 1], [1, 2]]))
        >>> walks = sample_walks(g, [0, 1, 2], walk_length=4, seed=0)
        >>> walks.shape, walks[:, 0].tolist()
        ((3, 5), [0, 1, 2])
        >>> (walks[:, 1] == 1).tolist()  # the ends of the path 0-1-2 must step to 1
        [True, False, True]
    """
    graph = _checked_graph(graph)
    start = _checked_start(start, graph.num_nodes)
    walk_length = _checked_walk_length(walk_length)
    p = _checked_positive(p, "p")
    q = _checked_positive(q, "q")
    key = walk_key(seed)
    from graphrep.walks import _kernels

    out = np.empty((start.shape[0], walk_length + 1), dtype=np.int64)
    if start.shape[0] == 0:
        return out
    indptr, indices = _compact_csr(graph)
    if p == 1.0 and q == 1.0:
        return _kernels.uniform_walks(indptr, indices, start, walk_length, key, out)
    return _kernels.node2vec_walks(indptr, indices, start, walk_length, p, q, key, out)


def random_walk(
    graph_or_edge_index: Any,
    start: Any,
    walk_length: int,
    *,
    p: float = 1.0,
    q: float = 1.0,
    num_nodes: int | None = None,
    seed: int | None = None,
):
    """:func:`sample_walks` with the call shape of ``torch_cluster.random_walk``:
    takes an ``edge_index`` (or any graph input) and a tensor of start nodes,
    returns a ``LongTensor [len(start), walk_length + 1]``.

    The graph is read as undirected and simple (see :func:`graphrep.as_graph`),
    so a directed ``edge_index`` is symmetrised first. For node ids to stay
    the caller's ids, pass an ``edge_index`` whose ids are ``0..num_nodes-1``
    (as in every PyG ``Data``) or a :class:`~graphrep.CSRGraph`.

    Example:
        >>> import torch
        >>> edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
        >>> walks = random_walk(edge_index, torch.arange(3), walk_length=3, seed=0)
        >>> walks.dtype, tuple(walks.shape)
        (torch.int64, (3, 4))
        >>> random_walk(edge_index, torch.tensor([0]), 2, num_nodes=4, seed=0).tolist() == \\
        ...     random_walk(edge_index, torch.tensor([0]), 2, num_nodes=4, seed=0).tolist()
        True
    """
    import torch

    if not isinstance(graph_or_edge_index, CSRGraph):
        graph_or_edge_index = _as_graph_named(graph_or_edge_index, num_nodes)
    device = start.device if isinstance(start, torch.Tensor) else None
    if isinstance(start, torch.Tensor):
        start = start.detach().cpu().numpy()
    walks = sample_walks(graph_or_edge_index, start, walk_length, p=p, q=q, seed=seed)
    out = torch.from_numpy(walks)
    return out if device is None else out.to(device)


def pyg_random_walk(rowptr, col, start, walk_length: int, p: float = 1.0, q: float = 1.0,
                    seed: int | None = None):
    """A stand-in for ``torch.ops.pyg.random_walk(rowptr, col, seed,
    walk_length, p, q)`` (the operator PyG's ``Node2Vec`` calls), taking an
    undirected graph in CSR form as PyG's ``Node2Vec`` builds it.

    Without ``seed`` each call draws fresh walks from numpy's global
    generator, so :func:`graphrep.utils.seed_everything` makes a training run
    reproducible. See :doc:`/walks` for how to plug it into ``Node2Vec``.

    Example:
        >>> import torch
        >>> rowptr, col = torch.tensor([0, 1, 3, 4]), torch.tensor([1, 0, 2, 1])
        >>> pyg_random_walk(rowptr, col, torch.tensor([0, 2]), 3, seed=1).shape
        torch.Size([2, 4])
    """
    import torch

    rowptr = rowptr.detach().cpu().numpy().astype(np.int64, copy=False)
    col = col.detach().cpu().numpy().astype(np.int64, copy=False)
    num_nodes = rowptr.shape[0] - 1
    graph = CSRGraph(rowptr, col, np.arange(num_nodes, dtype=np.int64))
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    walks = sample_walks(graph, start.detach().cpu().numpy(), walk_length, p=p, q=q, seed=seed)
    return torch.from_numpy(walks).to(start.device)


def make_node2vec(edge_index, **kwargs):
    """PyG's ``torch_geometric.nn.Node2Vec`` running on graphrep's walker.

    PyG's ``Node2Vec`` refuses to start without ``pyg-lib`` (whose
    ``random_walk`` operator it calls). This builds the model with
    :func:`pyg_random_walk` in that operator's place; everything else
    (``loader``, ``loss``, ``test``, checkpoints) is PyG's own.

    Args:
        edge_index: ``LongTensor [2, E]``, as for ``Node2Vec``.
        **kwargs: ``Node2Vec``'s other arguments (``embedding_dim``,
            ``walk_length``, ``context_size``, ``walks_per_node``, ``p``,
            ``q``, ``num_negative_samples``, ``num_nodes``, ``sparse``).

    Example:
        >>> import torch
        >>> ring = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
        >>> model = make_node2vec(torch.cat([ring, ring.flip(0)], 1), embedding_dim=4,
        ...                       walk_length=5, context_size=3, p=0.5, q=2.0)
        >>> pos, neg = model.sample([0, 1])
        >>> tuple(pos.shape), model.random_walk_fn is pyg_random_walk
        ((6, 3), True)
    """
    from types import SimpleNamespace
    from unittest import mock

    import torch
    import torch_geometric.nn.models.node2vec as pyg_node2vec

    with mock.patch.object(pyg_node2vec, "WITH_PYG_LIB", True), \
            mock.patch.object(torch.ops, "pyg", SimpleNamespace(random_walk=pyg_random_walk)):
        return pyg_node2vec.Node2Vec(edge_index, **kwargs)


_COMPACT: "weakref.WeakKeyDictionary[CSRGraph, tuple[np.ndarray, np.ndarray]]" = weakref.WeakKeyDictionary()


def _compact_csr(graph: CSRGraph) -> tuple[np.ndarray, np.ndarray]:
    """The graph's CSR arrays as ``int32`` when they fit, made once per graph:
    half the bytes per neighbour makes the random reads of a walk cheaper."""
    if graph.indices.shape[0] >= 2**31 or graph.num_nodes >= 2**31:
        return graph.indptr, graph.indices
    cached = _COMPACT.get(graph)
    if cached is None:
        cached = (graph.indptr.astype(np.int32), graph.indices.astype(np.int32))
        _COMPACT[graph] = cached
    return cached


def walk_key(seed: int | None) -> np.uint64:
    """The 64-bit key that seeds every per-walk stream."""
    if seed is not None:
        seed = check_int(seed, "seed", minimum=0)
    return np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0]


def _as_graph_named(graph: Any, num_nodes: int | None = None) -> CSRGraph:
    try:
        return as_graph(graph, num_nodes=num_nodes)
    except ValueError as error:
        raise type(error)(f"graph: {error}") from error


def _checked_graph(graph: Any) -> CSRGraph:
    graph = _as_graph_named(graph)
    if graph.num_nodes == 0:
        raise ValueError("graph is empty: it has no nodes")
    return graph


def _node_id_array(value: Any, name: str, ndim: int, layout: str) -> np.ndarray:
    """``value`` (a tensor or array-like of node ids) as a contiguous int64
    array of ``ndim`` dimensions; errors name the argument and its ``layout``."""
    array = np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)
    if array.ndim != ndim:
        raise ValueError(f"{name} must be a {layout}, got shape {array.shape}")
    if array.size and array.dtype.kind not in "iu":
        raise ValueError(f"{name} must hold integer node ids, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.int64)


def _checked_start(start: Any, num_nodes: int) -> np.ndarray:
    array = _node_id_array(start, "start", 1, "1-D array of node indices")
    if array.size:
        low, high = int(array.min()), int(array.max())
        if low < 0:
            raise ValueError(f"start holds negative node index {low}")
        if high >= num_nodes:
            raise ValueError(f"start holds node index {high}, out of range for {num_nodes} nodes")
    return array


def _checked_walk_length(walk_length: Any, name: str = "walk_length") -> int:
    return check_int(walk_length, name, minimum=1)


def _checked_positive(value: Any, name: str) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value}")
    return value
