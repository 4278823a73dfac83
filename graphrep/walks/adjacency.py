"""Random-walk adjacency matrices: exact (NetMF) and sampled (DeepWalk)."""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from graphrep._validate import check_int
from graphrep.walks.sampling import _checked_graph, _checked_walk_length, sample_walks

__all__ = ["walk_adjacency", "sampled_walk_adjacency", "transition_matrix"]

# Above this density the running power P^r is kept dense: sparse products of
# nearly full matrices are far slower than dense ones.
_DENSE_FROM = 0.05


def transition_matrix(graph: Any) -> sp.csr_array:
    """``P = D^{-1} A`` as a ``float64`` ``csr_array`` (isolated nodes get an empty row).

    Example:
        >>> from graphrep import as_graph
        >>> transition_matrix(as_graph(np.array([[0, 1], [1, 2]]))).toarray().tolist()
        [[0.0, 1.0, 0.0], [0.5, 0.0, 0.5], [0.0, 1.0, 0.0]]
    """
    graph = _checked_graph(graph)
    degrees = graph.degrees
    rows = np.repeat(np.arange(graph.num_nodes), degrees)
    data = 1.0 / degrees[rows]
    n = graph.num_nodes
    return sp.csr_array((data, graph.indices.copy(), graph.indptr.copy()), shape=(n, n))


def walk_adjacency(graph: Any, window: int) -> sp.csr_array:
    r"""The exact random-walk adjacency of window ``T``: the sum of the
    ``r``-step transition matrices,

    .. math:: S = \sum_{r=1}^{T} P^r, \qquad P = D^{-1} A,

    whose entry ``S_{uv}`` is the expected number of times a walk from
    ``u`` visits ``v`` within ``T`` steps (NetMF, `Qiu et al., WSDM 2018
    <https://arxiv.org/abs/1710.02971>`_). ``D S`` is symmetric;
    :func:`graphrep.embed.rwpmi` feeds it to :func:`graphrep.embed.pmi_matrix`.

    ``S`` fills in quickly (``T`` hops reach most of a small-world graph):
    meant for graphs of up to some ten thousand nodes. Use
    :func:`sampled_walk_adjacency` on larger ones.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        window: ``T >= 1``.

    Returns:
        ``float64`` ``csr_array`` ``[n, n]``, rows summing to ``T`` (0 for isolated nodes).

    Example:
        >>> from graphrep import as_graph
        >>> path = as_graph(np.array([[0, 1], [1, 2]]))
        >>> walk_adjacency(path, 2).toarray().tolist()
        [[0.5, 1.0, 0.5], [0.5, 1.0, 0.5], [0.5, 1.0, 0.5]]
    """
    graph = _checked_graph(graph)
    window = _checked_walk_length(window, "window")
    step = transition_matrix(graph)
    power = step
    total = step.toarray() if step.nnz > _DENSE_FROM * graph.num_nodes**2 else step.copy()
    for _ in range(window - 1):
        power = power @ step if sp.issparse(power) else (step.T @ power.T).T
        if sp.issparse(power) and power.nnz > _DENSE_FROM * graph.num_nodes**2:
            power = power.toarray()
        if sp.issparse(total) and not sp.issparse(power):
            total = total.toarray()
        total = total + power
    return sp.csr_array(total)


def sampled_walk_adjacency(
    graph: Any,
    window: int,
    *,
    walk_length: int = 40,
    num_walks: int = 10,
    p: float = 1.0,
    q: float = 1.0,
    seed: int | None = None,
    walks: np.ndarray | None = None,
) -> sp.csr_array:
    """Co-occurrence counts within a window over sampled walks (the corpus
    DeepWalk and node2vec train on): ``C[u, v]`` counts the positions
    ``i`` and offsets ``1 <= r <= window`` at which a walk holds ``u`` and
    ``v`` ``r`` steps apart, in either order, so ``C`` is symmetric.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        window: ``>= 1``.
        walk_length: steps per walk (ignored when ``walks`` is given).
        num_walks: walks started at every node (ignored when ``walks`` is given).
        p, q: node2vec parameters (see :func:`sample_walks`).
        seed: an ``int`` for reproducible sampling.
        walks: ``int[k, L + 1]`` walks to count instead of sampling new ones.

    Returns:
        ``float64`` ``csr_array`` ``[n, n]``.

    Example:
        >>> from graphrep import as_graph
        >>> path = as_graph(np.array([[0, 1], [1, 2]]))
        >>> sampled_walk_adjacency(path, 1, walks=np.array([[0, 1, 2]])).toarray().tolist()
        [[0.0, 1.0, 0.0], [1.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    """
    graph = _checked_graph(graph)
    window = _checked_walk_length(window, "window")
    n = graph.num_nodes
    if walks is None:
        num_walks = check_int(num_walks, "num_walks", minimum=1)
        start = np.tile(np.arange(n, dtype=np.int64), int(num_walks))
        walks = sample_walks(graph, start, walk_length, p=p, q=q, seed=seed)
    else:
        walks = np.ascontiguousarray(walks, dtype=np.int64)
        if walks.ndim != 2 or (walks.size and (walks.min() < 0 or walks.max() >= n)):
            raise ValueError(f"walks must be a 2-D array of node indices in [0, {n})")
    from graphrep.walks import _kernels

    total = sp.csr_array((n, n), dtype=np.float64)
    chunk = max(1, 2_000_000 // max(1, window * walks.shape[1]))
    for lo in range(0, walks.shape[0], chunk):
        part = walks[lo : lo + chunk]
        size = part.shape[0] * sum(max(part.shape[1] - r, 0) for r in range(1, window + 1))
        rows = np.empty(size, dtype=np.int64)
        cols = np.empty(size, dtype=np.int64)
        _kernels.window_pairs(part, window, rows, cols)
        counts = sp.coo_array((np.ones(size), (rows, cols)), shape=(n, n)).tocsr()
        total = total + counts + counts.T
    return sp.csr_array(total)
