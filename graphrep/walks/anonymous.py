r"""Anonymous walks (`Ivanov and Burnaev, ICML 2018
<https://arxiv.org/abs/1805.11921>`_).

The anonymous form of a walk replaces each node by the index of its first
visit: ``(a, b, a, c)`` becomes ``(0, 1, 0, 2)``. It keeps the walk's shape
(returns, revisits) and forgets node identities, so the distribution of
anonymous walks started at a node is a structural feature of that node.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np

from graphrep._validate import check_int
from graphrep.walks.sampling import _checked_graph, _checked_walk_length, _node_id_array, sample_walks

__all__ = ["anonymize", "anonymous_walk_patterns", "anonymous_walk_distribution"]

#: Longest walk for which :func:`anonymous_walk_patterns` enumerates the
#: patterns (their number grows like the Bell numbers: 115,976 at 10 steps).
MAX_PATTERN_LENGTH = 10


def anonymize(walks: Any) -> np.ndarray:
    """Maps every walk (row) to its anonymous form: each node becomes the
    index of its first visit in that row.

    Args:
        walks: ``int[k, L + 1]`` walks (node ids of any integer type).

    Returns:
        ``int64[k, L + 1]``.

    Example:
        >>> anonymize(np.array([[7, 3, 7, 9], [5, 5, 5, 5]])).tolist()
        [[0, 1, 0, 2], [0, 0, 0, 0]]
    """
    walks = _node_id_array(walks, "walks", 2, "2-D array [num_walks, length]")
    out = np.empty(walks.shape, dtype=np.int64)
    if walks.size == 0:
        return out
    from graphrep.walks import _kernels

    return _kernels.anonymize_rows(walks, out)


def anonymous_walk_patterns(walk_length: int) -> np.ndarray:
    """Every anonymous walk of ``walk_length`` steps that a random walk on a
    simple graph can produce, in lexicographic order.

    These are the sequences starting at 0 in which each entry is at most one
    more than the largest before it and differs from the one before it (no
    self-loops), plus the all-zero pattern of a walk stuck on an isolated
    node, which comes first. Their number is the Bell number
    ``B(walk_length)`` plus one.

    Args:
        walk_length: number of steps, ``1 <= walk_length <= 10``.

    Returns:
        ``int64[P, walk_length + 1]`` (read-only).

    Example:
        >>> anonymous_walk_patterns(3).tolist()
        [[0, 0, 0, 0], [0, 1, 0, 1], [0, 1, 0, 2], [0, 1, 2, 0], [0, 1, 2, 1], [0, 1, 2, 3]]
    """
    walk_length = _checked_walk_length(walk_length)
    if walk_length > MAX_PATTERN_LENGTH:
        raise ValueError(
            f"walk_length must be <= {MAX_PATTERN_LENGTH} to enumerate anonymous walk "
            f"patterns (their number grows like the Bell numbers), got {walk_length}"
        )
    return _patterns(walk_length)


@lru_cache(maxsize=None)
def _patterns(walk_length: int) -> np.ndarray:
    rows = [[0] * (walk_length + 1)]
    prefix = [0]

    def extend(largest: int) -> None:
        if len(prefix) == walk_length + 1:
            rows.append(list(prefix))
            return
        for label in range(largest + 2):
            if label != prefix[-1]:
                prefix.append(label)
                extend(max(largest, label))
                prefix.pop()

    extend(0)
    patterns = np.array(rows, dtype=np.int64)
    patterns.setflags(write=False)
    return patterns


def pattern_index(anonymous: np.ndarray, walk_length: int) -> np.ndarray:
    """Row of :func:`anonymous_walk_patterns` for each anonymous walk."""
    patterns = anonymous_walk_patterns(walk_length)
    base = walk_length + 1
    weights = base ** np.arange(walk_length, -1, -1, dtype=np.int64)
    codes = patterns @ weights
    walk_codes = anonymous @ weights
    index = np.searchsorted(codes, walk_codes)
    index = np.minimum(index, codes.shape[0] - 1)
    if not np.array_equal(codes[index], walk_codes):
        raise ValueError("anonymous holds a sequence that is not an anonymous walk")
    return index


def anonymous_walk_distribution(
    graph: Any, walk_length: int, num_walks: int, *, seed: int | None = None
) -> np.ndarray:
    """The empirical distribution of anonymous walks started at each node.

    Samples ``num_walks`` uniform walks of ``walk_length`` steps from every
    node and counts their anonymous forms over
    :func:`anonymous_walk_patterns`.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        walk_length: number of steps, ``1 <= walk_length <= 10``.
        num_walks: walks per node, ``>= 1``.
        seed: an ``int`` for reproducible sampling.

    Returns:
        ``float64[n, P]`` with rows summing to 1, ``P = len(anonymous_walk_patterns(walk_length))``.

    Example:
        >>> from graphrep import as_graph
        >>> triangle = as_graph(np.array([[0, 1], [1, 2], [2, 0]]))
        >>> dist = anonymous_walk_distribution(triangle, 2, num_walks=1000, seed=0)
        >>> dist.shape, np.allclose(dist.sum(axis=1), 1.0)
        ((3, 3), True)
        >>> bool(abs(dist[0, 1] - 0.5) < 0.06)  # (0, 1, 0): back to the start
        True
    """
    graph = _checked_graph(graph)
    walk_length = _checked_walk_length(walk_length)
    num_walks = check_int(num_walks, "num_walks", minimum=1)
    patterns = anonymous_walk_patterns(walk_length)
    n = graph.num_nodes
    start = np.repeat(np.arange(n, dtype=np.int64), int(num_walks))
    walks = sample_walks(graph, start, walk_length, seed=seed)
    index = pattern_index(anonymize(walks), walk_length)
    counts = np.bincount(start * patterns.shape[0] + index, minlength=n * patterns.shape[0])
    return counts.reshape(n, patterns.shape[0]) / float(num_walks)
