"""Inductive node features for IRWE, computed from random walks only.

Nothing here depends on a node identifier: every quantity is a statistic of
random walks (sampled by :mod:`graphrep.walks`) or of the degrees met along
them, so the same extraction applies to the training graph, a grown graph
or a graph never seen in training. The one exception to strict
determinism-by-structure is the *random position code*, a Gaussian random
projection (Johnson-Lindenstrauss) of walk co-occurrence, smoothed along
walks, which IRWE uses to make positions (who a node walks into) visible
without a per-node table; its Gaussian rows are handed out in a structural
order (Weisfeiler-Leman colours) so that relabelling the nodes permutes them
too.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from graphrep.graph import CSRGraph, as_graph

__all__ = ["WalkFeatures", "walk_features", "structural_order", "stats_dim"]

_MASK64 = np.uint64(0xFFFFFFFFFFFFFFFF)


@dataclass(frozen=True, eq=False)
class WalkFeatures:
    """Walk-derived inputs and targets of :class:`~graphrep.nn.models.IRWE`.

    Attributes:
        walks: ``int64[n, num_walks, walk_length + 1]`` node sequences of the
            walks started at each node (column 0 is the node itself).
        aw_index: ``int64[n, num_walks]`` index of each walk's anonymous walk
            (its first ``aw_length`` steps) in
            :func:`graphrep.walks.anonymous_walk_patterns` (whose first,
            all-zero pattern is the walk stuck on an isolated node).
        degree_seq: ``float32[n, num_walks, walk_length + 1]``
            ``log(1 + degree)`` of the nodes along each walk.
        node_stats: ``float32[n, stats_dim(num_patterns, walk_length)]``
            the node's walk statistics, estimated from a larger independent
            sample of ``target_walks`` walks: its anonymous-walk distribution;
            the mean and the standard deviation of the log-degree met at each
            step ``t = 0..L``; ``log(1 + N_t)`` for ``t = 1..L``, where
            ``N_t`` is the number of ``t``-step walks from the node; and
            ``log(1 + C_t)`` for ``t = 2..L``, where ``C_t`` is the number
            of closed ``t``-step walks (``C_2`` is the degree, ``C_3``
            twice the triangles). ``N_t`` and ``C_t`` are importance-weighted
            estimates from the uniform walks (see ``_walk_count_estimates``).
            These are the identity-side features, and the identity target.
        position_code: ``float32[n, code_dim]`` the random position code:
            i.i.d. Gaussian vectors, then ``code_hops`` times replaced by
            the ``cooccurrence``-weighted sum of the codes of the nodes the
            walks visit, centred over the graph and normalised to unit
            length; for one hop, a random projection
            (Johnson-Lindenstrauss) of the node's row of ``cooccurrence``.
        num_patterns: number of anonymous-walk patterns of length ``aw_length``.
        cooccurrence: ``[n, n]`` sparse visit counts of the ``target_walks``
            walks of each node (row) to each node (column), weighted by
            ``1 / sqrt(degree)`` of the visited node.
        order: :func:`structural_order` of the graph.
    """

    walks: np.ndarray
    aw_index: np.ndarray
    degree_seq: np.ndarray
    node_stats: np.ndarray
    position_code: np.ndarray
    num_patterns: int
    cooccurrence: sp.csr_array
    order: np.ndarray

    @property
    def num_nodes(self) -> int:
        return int(self.walks.shape[0])


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """A fixed 64-bit mixing function (SplitMix64 finaliser), vectorised."""
    with np.errstate(over="ignore"):
        z = (values.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)) & _MASK64
        z = ((z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)) & _MASK64
        z = ((z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)) & _MASK64
        return z ^ (z >> np.uint64(31))


def structural_order(graph, rounds: int = 4) -> np.ndarray:
    """Nodes sorted by their Weisfeiler-Leman colour after ``rounds`` rounds
    of colour refinement (hashed), ties broken by row index.

    The order depends on structure only, so relabelling the nodes permutes it
    accordingly, except among nodes that refinement cannot tell apart (for
    example automorphic nodes).

    Example:
        >>> import networkx as nx
        >>> star = nx.star_graph(3)            # centre 0, leaves 1, 2, 3
        >>> order = structural_order(star)
        >>> sorted(order.tolist()), int((order == 0).nonzero()[0][0]) in (0, 3)
        ([0, 1, 2, 3], True)
    """
    graph = as_graph(graph)
    if rounds < 0:
        raise ValueError(f"rounds must be >= 0, got {rounds}")
    rows = np.repeat(np.arange(graph.num_nodes), graph.degrees)
    colour = _splitmix64(graph.degrees.astype(np.uint64))
    for _ in range(rounds):
        neighbour_sum = np.zeros(graph.num_nodes, dtype=np.uint64)
        with np.errstate(over="ignore"):
            np.add.at(neighbour_sum, rows, _splitmix64(colour[graph.indices]))
        colour = _splitmix64(colour ^ _splitmix64(neighbour_sum))
    return np.lexsort((np.arange(graph.num_nodes), colour))


def _pattern_keys(patterns: np.ndarray, base: int) -> np.ndarray:
    powers = base ** np.arange(patterns.shape[1], dtype=np.int64)
    return patterns.astype(np.int64) @ powers


def walk_features(
    graph,
    *,
    num_walks: int = 16,
    walk_length: int = 8,
    aw_length: int = 5,
    target_walks: int = 200,
    code_dim: int = 128,
    code_hops: int = 2,
    seed: int = 0,
) -> WalkFeatures:
    """Samples walks from every node and derives IRWE's inductive features.

    Args:
        graph: anything :func:`graphrep.as_graph` accepts.
        num_walks: walks per node read by the encoders.
        walk_length: steps per walk (the position context).
        aw_length: steps of the anonymous walks (a prefix of each walk);
            ``aw_length <= walk_length``.
        target_walks: walks per node for ``node_stats`` (sampled
            independently of the ``num_walks`` walks).
        code_dim: dimension of the random position code.
        code_hops: rounds of walk smoothing of the random position code.
        seed: seeds the walks and the random code.

    Example:
        >>> import networkx as nx
        >>> f = walk_features(nx.cycle_graph(6), num_walks=4, walk_length=4, aw_length=3,
        ...                   target_walks=20, code_dim=8)
        >>> f.walks.shape, f.aw_index.shape, f.position_code.shape
        ((6, 4, 5), (6, 4), (6, 8))
    """
    from graphrep import walks as walks_module

    graph = as_graph(graph)
    for name, value in (("num_walks", num_walks), ("walk_length", walk_length),
                        ("aw_length", aw_length), ("target_walks", target_walks),
                        ("code_dim", code_dim), ("code_hops", code_hops)):
        if int(value) < 1:
            raise ValueError(f"{name} must be >= 1, got {value}")
    if aw_length > walk_length:
        raise ValueError(f"aw_length ({aw_length}) must be <= walk_length ({walk_length})")
    rng = np.random.default_rng(seed)
    walk_seed, target_seed, code_seed = (int(s) for s in rng.integers(0, 2**31 - 1, size=3))

    # Start walks in structural order so that the walk-sampling stream, too,
    # follows the structure rather than the caller's labels.
    order = structural_order(graph)
    walks = _walks_from_every_node(walks_module, graph, order, num_walks, walk_length, walk_seed)
    patterns = np.asarray(walks_module.anonymous_walk_patterns(aw_length), dtype=np.int64)
    num_patterns = patterns.shape[0]
    aw_index = _pattern_index(walks_module, walks, patterns, aw_length)

    log_degree = np.log1p(graph.degrees.astype(np.float64))
    degree_seq = log_degree[walks]

    # The node statistics come from a larger, independent sample so that
    # they are precise; the encoders still read the individual walks.
    node_stats, cooccurrence = _walk_statistics(graph, order, patterns, aw_length, target_walks, walk_length,
                                                target_seed)
    position_code = _position_code(cooccurrence, order, code_dim, code_seed, code_hops)
    return WalkFeatures(
        walks=walks,
        aw_index=aw_index,
        degree_seq=degree_seq.astype(np.float32),
        node_stats=node_stats,
        position_code=position_code,
        num_patterns=num_patterns,
        cooccurrence=cooccurrence,
        order=order,
    )


def stats_dim(num_patterns: int, walk_length: int) -> int:
    """Number of columns of :attr:`WalkFeatures.node_stats`."""
    return num_patterns + 2 * (walk_length + 1) + walk_length + (walk_length - 1)


_CHUNK = 1000  # statistics walks per node sampled and reduced at a time


def _walk_statistics(graph: CSRGraph, order: np.ndarray, patterns: np.ndarray, aw_length: int, target_walks: int,
                     walk_length: int, seed: int) -> tuple[np.ndarray, sp.csr_array]:
    """``node_stats`` (float32) and ``cooccurrence`` of :class:`WalkFeatures`
    from ``target_walks`` walks per node, sampled and reduced in chunks of at
    most ``_CHUNK`` walks per node (memory of one chunk, whatever
    ``target_walks``): the statistics are means over walks, so the chunks'
    sums add up (the standard deviation from the first two moments)."""
    from graphrep import walks as walks_module

    n = graph.num_nodes
    log_degree = np.log1p(graph.degrees.astype(np.float64))
    aw_counts = np.zeros((n, patterns.shape[0]))
    degree_sum = np.zeros((n, walk_length + 1))
    degree_square_sum = np.zeros((n, walk_length + 1))
    walk_sum = np.zeros((n, walk_length))
    closed_sum = np.zeros((n, walk_length))
    cooccurrence = sp.csr_array((n, n))
    sizes = [_CHUNK] * (target_walks // _CHUNK) + ([target_walks % _CHUNK] if target_walks % _CHUNK else [])
    # The first chunk uses ``seed`` itself (so up to ``_CHUNK`` walks sample
    # as one draw would), later ones seeds drawn from it.
    seeds = [seed] + [int(s) for s in np.random.default_rng(seed).integers(0, 2**31 - 1, len(sizes) - 1)]
    for size, chunk_seed in zip(sizes, seeds):
        many = _walks_from_every_node(walks_module, graph, order, size, walk_length, chunk_seed)
        many_index = _pattern_index(walks_module, many, patterns, aw_length)
        np.add.at(aw_counts, (np.repeat(np.arange(n), size), many_index.ravel()), 1.0)
        many_degrees = log_degree[many]
        degree_sum += many_degrees.sum(axis=1)
        degree_square_sum += (many_degrees ** 2).sum(axis=1)
        walk_counts, closed_counts = _walk_count_estimates(many, graph.degrees)
        walk_sum += walk_counts * size
        closed_sum += closed_counts * size
        cooccurrence = cooccurrence + _cooccurrence(many, graph.degrees)
    degree_mean = degree_sum / target_walks
    degree_std = np.sqrt(np.maximum(degree_square_sum / target_walks - degree_mean ** 2, 0.0))
    node_stats = np.concatenate(
        [aw_counts / target_walks, degree_mean, degree_std, np.log1p(walk_sum / target_walks),
         np.log1p(closed_sum[:, 1:] / target_walks)], axis=1)
    return node_stats.astype(np.float32), sp.csr_array(cooccurrence)


def _walk_count_estimates(walks: np.ndarray, degrees: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Unbiased estimates, from uniform walks, of the number of walks of
    ``t = 1..L`` steps starting at each node and of those that end where
    they started (closed walks; ``t = 3`` counts each triangle twice).

    A uniform walk takes a given ``t``-step walk with probability
    ``1 / prod_{i<t} deg(w_i)``, so that product is its importance weight.
    """
    start = walks[:, :, :1]
    weight = np.cumprod(degrees.astype(np.float64)[walks[:, :, :-1]], axis=2)  # [n, T, L]
    closed = walks[:, :, 1:] == start
    return weight.mean(axis=1), (weight * closed).mean(axis=1)


def _walks_from_every_node(walks_module, graph: CSRGraph, order: np.ndarray, num_walks: int,
                           walk_length: int, seed: int) -> np.ndarray:
    sampled = walks_module.sample_walks(graph, np.repeat(order, num_walks), walk_length, seed=seed)
    walks = np.empty((graph.num_nodes, num_walks, walk_length + 1), dtype=np.int64)
    walks[order] = sampled.reshape(graph.num_nodes, num_walks, walk_length + 1)
    return walks


def _pattern_index(walks_module, walks: np.ndarray, patterns: np.ndarray, aw_length: int) -> np.ndarray:
    """Row of ``patterns`` for the anonymous form of each walk's prefix."""
    prefix = walks_module.anonymize(walks[..., : aw_length + 1].reshape(-1, aw_length + 1))
    base = aw_length + 1
    pattern_keys = _pattern_keys(patterns, base)
    sort = np.argsort(pattern_keys)
    keys = _pattern_keys(prefix, base)
    slot = np.clip(np.searchsorted(pattern_keys[sort], keys), 0, patterns.shape[0] - 1)
    if not np.array_equal(pattern_keys[sort][slot], keys):
        raise RuntimeError("graphrep.walks produced a walk outside anonymous_walk_patterns")
    return sort[slot].reshape(walks.shape[:2])


def random_position_code(features: WalkFeatures, code_dim: int, seed: int, hops: int = 2) -> np.ndarray:
    """A fresh random position code for already extracted ``features``
    (training redraws it every epoch so the model learns to read any draw).

    Example:
        >>> import networkx as nx
        >>> f = walk_features(nx.path_graph(4), num_walks=2, walk_length=2, aw_length=2, target_walks=5,
        ...                   code_dim=3)
        >>> random_position_code(f, 5, seed=1).shape
        (4, 5)
    """
    return _position_code(features.cooccurrence, features.order, code_dim, seed, hops)


def _cooccurrence(walks: np.ndarray, degrees: np.ndarray) -> sp.csr_array:
    # Walks visit a node in proportion to its degree; weighting visits by
    # 1/sqrt(degree) keeps hubs from dominating every node's code.
    n = walks.shape[0]
    weight = 1.0 / np.sqrt(np.maximum(degrees, 1).astype(np.float64))
    visited = walks[:, :, 1:].reshape(n, -1)
    return sp.csr_array(
        (weight[visited].ravel(), (np.repeat(np.arange(n), visited.shape[1]), visited.ravel())),
        shape=(n, n),
    )


def _position_code(cooccurrence: sp.csr_array, order: np.ndarray, code_dim: int, seed: int,
                   hops: int) -> np.ndarray:
    n = cooccurrence.shape[0]
    code = np.empty((n, code_dim))
    # Entries of variance 1 / code_dim: rows of about unit norm, so inner
    # products of codes (and of embeddings linear in them) stay O(1).
    code[order] = np.random.default_rng(seed).standard_normal((n, code_dim)) / np.sqrt(code_dim)
    for _ in range(hops):
        code = cooccurrence @ code
        # Centred over the graph: the mean code of the whole graph (dominated
        # by its hubs) would otherwise be a direction shared by every node.
        code -= code.mean(axis=0)
        norm = np.linalg.norm(code, axis=1, keepdims=True)
        code = np.divide(code, norm, out=np.zeros_like(code), where=norm > 0)
    return code.astype(np.float32)
