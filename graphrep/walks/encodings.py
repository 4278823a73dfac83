"""Random-walk structural encodings: return probabilities."""
from __future__ import annotations

from typing import Any

import numpy as np

from graphrep.walks.sampling import _checked_graph, _checked_walk_length

__all__ = ["return_probabilities"]


def return_probabilities(graph: Any, walk_length: int) -> np.ndarray:
    r"""The random-walk structural encoding (RWSE) of every node: the
    probability that a uniform random walk is back at its start after
    ``k = 1..K`` steps,

    .. math::

        \mathrm{RWSE}(i) = \bigl[(P)_{ii}, (P^2)_{ii}, \dots, (P^K)_{ii}\bigr],
        \qquad P = D^{-1} A,

    as in `Dwivedi et al., ICLR 2022 <https://arxiv.org/abs/2110.07875>`_ and
    PyG's ``AddRandomWalkPE`` (an isolated node gets zeros, as there).

    Exact and sparse: for each node it propagates ``e_i P^t`` only up to
    ``t = ceil(K / 2)`` over the nodes it reaches, and pairs those rows
    (``d_i (P^t)_{ij} = d_j (P^t)_{ji}``), so it never forms ``P^K``. Cost
    grows with the size of each node's ``ceil(K / 2)``-hop ball: small for
    molecules, meshes and road-like graphs.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        walk_length: ``K >= 1``.

    Returns:
        ``float64[n, K]``.

    Example:
        >>> from graphrep import as_graph
        >>> square = as_graph(np.array([[0, 1], [1, 2], [2, 3], [3, 0]]))
        >>> return_probabilities(square, 4)[0].tolist()
        [0.0, 0.5, 0.0, 0.5]
    """
    graph = _checked_graph(graph)
    walk_length = _checked_walk_length(walk_length)
    import numba

    from graphrep.walks import _kernels

    n = graph.num_nodes
    out = np.zeros((n, walk_length), dtype=np.float64)
    num_blocks = max(1, min(n, 4 * numba.get_num_threads()))
    return _kernels.return_probabilities(graph.indptr, graph.indices, walk_length, num_blocks, out)
