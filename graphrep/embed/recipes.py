"""Named embedding recipes: RWPMI (random walks) and GOPMI (graphlet orbits)."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphrep.embed.pmi import pmi_matrix
from graphrep.embed.svd import svd_embedding

__all__ = ["rwpmi", "gopmi"]


def rwpmi(
    graph: Any,
    dim: int = 128,
    *,
    window: int = 10,
    negative: float = 1.0,
    num_walks: int | None = None,
    walk_length: int = 40,
    seed: int = 0,
) -> np.ndarray:
    r"""Random-walk PMI embedding (NetMF, `Qiu et al., WSDM 2018
    <https://arxiv.org/abs/1710.02971>`_; "RWPMI" in Windels et al., 2024):
    the rank-``dim`` SVD embedding of

    .. math::

        \log \max\Bigl(1, \frac{\mathrm{vol}(G)}{bT}
        \Bigl(\sum_{r=1}^{T} P^r\Bigr) D^{-1}\Bigr),

    the matrix DeepWalk with window ``T`` and ``b`` negative samples
    implicitly factorises. By default the walk adjacency is exact
    (:func:`graphrep.walks.walk_adjacency`); with ``num_walks`` it is the
    co-occurrence count over sampled walks
    (:func:`graphrep.walks.sampled_walk_adjacency`), for large graphs.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        dim: embedding dimension.
        window: ``T``.
        negative: ``b``.
        num_walks: walks per node for the sampled variant; ``None`` is exact.
        walk_length: steps per sampled walk.
        seed: seeds the walks and the randomized SVD.

    Returns:
        ``float64[n, dim]``.

    Example:
        >>> from graphrep import as_graph
        >>> from graphrep.datasets import load_graph
        >>> rwpmi(as_graph(load_graph("karate")), 8).shape
        (34, 8)
    """
    from graphrep.walks import sampled_walk_adjacency, walk_adjacency
    from graphrep.walks.sampling import _checked_graph

    graph = _checked_graph(graph)
    if num_walks is None:
        cooccurrence = sp.diags_array(graph.degrees.astype(np.float64)) @ walk_adjacency(graph, window)
    else:
        cooccurrence = sampled_walk_adjacency(
            graph, window, walk_length=walk_length, num_walks=num_walks, seed=seed
        )
    return svd_embedding(pmi_matrix(cooccurrence, negative=negative), dim, seed=seed)


def gopmi(
    orbit_adjacency: Mapping,
    dim: int = 16,
    *,
    keys: Iterable | None = None,
    negative: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    r"""Graphlet-orbit PMI embedding (GOPMI, `Windels, Malod-Dognin and
    Pržulj, 2024 <https://arxiv.org/abs/2405.14194>`_): for each orbit
    adjacency matrix ``M_(h, o1, o2)``, the rank-``dim`` SVD embedding of its
    shifted positive PMI (:func:`pmi_matrix`), concatenated over ``keys``.

    Orbit adjacencies count how often two nodes sit on given orbits of a
    common induced graphlet, including wiring patterns that random walks of
    any bounded length merge or never see (see :doc:`/walks`).

    Args:
        orbit_adjacency: the mapping returned by
            :func:`graphrep.orbits.orbit_adjacency` (or any mapping from
            keys to ``[n, n]`` non-negative matrices).
        dim: dimension per matrix.
        keys: the keys to embed, in order (tuples or strings such as
            ``"h2_o1_o1"`` where the mapping accepts them); ``None`` takes
            every key of the mapping in its order.
        negative: ``b``, the PMI shift.
        seed: seed of the randomized SVD.

    Returns:
        ``float64[n, dim * len(keys)]``; a matrix with no entries (no such
        graphlet in the graph) gives a zero block.

    Example:
        >>> from graphrep.datasets import load_graph
        >>> from graphrep.orbits import orbit_adjacency
        >>> matrices = orbit_adjacency(load_graph("karate"))
        >>> gopmi(matrices, 4, keys=[(1, 0, 0), (2, 1, 1)]).shape
        (34, 8)
    """
    if not isinstance(orbit_adjacency, Mapping):
        raise TypeError(
            f"orbit_adjacency must be a mapping from keys to matrices, got {type(orbit_adjacency).__name__}"
        )
    keys = list(orbit_adjacency.keys()) if keys is None else list(keys)
    if not keys:
        raise ValueError("keys must name at least one orbit adjacency matrix")
    blocks = []
    for key in keys:
        try:
            matrix = orbit_adjacency[key]
        except KeyError:
            raise ValueError(f"keys: {key!r} is not in orbit_adjacency") from None
        blocks.append(svd_embedding(pmi_matrix(matrix, negative=negative), dim, seed=seed))
    return np.concatenate(blocks, axis=1)
