"""Node and edge orbit counts of graphlets on 2-4 or 2-5 nodes (graphlet
degree vectors), edge orbit adjacencies and graphlet adjacencies.

The counts come from a dedicated path, not from the pair matrices of
:func:`~graphrep.orbits.orbit_adjacency`: the kernels (C++ with OpenMP, or
Numba) count non-induced subgraphs from per-node and per-edge sums,
triangles, 4-cliques and 4-cycles enumerated along a degree ordering, and
the linear systems of :mod:`graphrep.orbits.systems` turn them into induced
counts. ``docs/counts.rst`` derives every term. Graphlets on up to five
nodes (``graphlet_size=5``) take the path of :mod:`graphrep.orbits._counts5`
(rooted homomorphism counts and a triangular system, ``docs/counts5.rst``).

A graphlet family (here: 2-4 nodes) is one :class:`_Family` entry: its
orbit numbers, its two systems and its kernels; the public functions only
pick the family and solve its system.
"""
from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphrep.graph import CSRGraph, as_graph
from graphrep.orbits._counts5 import edge_counts5, node_counts5
from graphrep.orbits._engine import choose_backend, thread_count
from graphrep.orbits._matrices import MatrixMapping
from graphrep.orbits.adjacency import compute_prepared
from graphrep.orbits.budget import ENTRY_BYTES, OutputTooLargeError, format_size, resident_memory
from graphrep.orbits.graphlets import check_graphlet_size
from graphrep.orbits.keys import GRAPHLET_OF_ORBIT, ORBIT_ADJACENCY_KEYS
from graphrep.orbits.systems import EDGE_SYSTEM, NODE_SYSTEM, induced_from_noninduced
from graphrep.utils import progress

__all__ = [
    "orbit_counts", "edge_orbit_counts", "edge_orbit_adjacency", "graphlet_adjacency",
    "EdgeOrbitAdjacency", "GraphletAdjacency", "edge_rows", "NUM_GRAPHLETS",
]

NUM_GRAPHLETS = 9
# Counts are exact while every intermediate fits int64; all are bounded by d_max^3.
MAX_DEGREE = 2_000_000


@dataclass(frozen=True)
class _Family:
    """One graphlet size: its two systems and the names of its counters (a
    class of ``graphrep._core`` and of :mod:`graphrep.orbits._numba_counts`
    with the same interface)."""

    node_system: dict
    edge_system: dict
    cpp_counter: str
    numba_counter: str


_GRAPHLETS_2_TO_4 = _Family(NODE_SYSTEM, EDGE_SYSTEM, cpp_counter="GraphletCounter4",
                            numba_counter="GraphletCounter4")


def orbit_counts(graph: Any, *, graphlet_size: int = 4, backend: str = "auto",
                 num_threads: int | None = None) -> np.ndarray:
    """Graphlet degree vectors: ``[v, o]`` is the number of induced graphlets
    on 2..``graphlet_size`` nodes that hold node ``v`` on orbit ``o``
    (Przulj's orbits: 0..14 of G0..G8 for 4, 0..72 of G0..G29 for 5, as ORCA
    and GraphCrunch number them; rows in the input's node order). The first
    15 columns for 5 are the counts for 4.

    Exact, identical between backends and independent of the thread count.
    Memory: a few arrays of ``2m`` integers plus ``O(n)`` per thread; no
    pair is ever stored.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        graphlet_size: 4 (graphlets on 2-4 nodes, ``int64[n, 15]``) or 5
            (2-5 nodes, ``int64[n, 73]``).
        backend: ``"cpp"``, ``"numba"`` or ``"auto"`` (C++ when built).
        num_threads: threads to use (default: all cores).

    Example:
        >>> import networkx as nx
        >>> orbit_counts(nx.star_graph(3))[:, [0, 1, 2, 6, 7]].tolist()
        [[3, 0, 3, 0, 1], [1, 2, 0, 1, 0], [1, 2, 0, 1, 0], [1, 2, 0, 1, 0]]
        >>> orbit_counts(nx.star_graph(4), graphlet_size=5)[0, [0, 2, 7, 23]].tolist()  # the hub: 4-star in G23
        [4, 6, 4, 1]
    """
    size = check_graphlet_size(graphlet_size)
    g = as_graph(graph)
    if size == 5:
        chosen, core = choose_backend(backend)
        return node_counts5(g, chosen, thread_count(num_threads, core))
    counts, _ = _noninduced(g, _GRAPHLETS_2_TO_4, edges=False, backend=backend, num_threads=num_threads)
    return induced_from_noninduced(counts, _GRAPHLETS_2_TO_4.node_system)


def edge_orbit_counts(graph: Any, *, graphlet_size: int = 4, backend: str = "auto",
                      num_threads: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Edge graphlet degree vectors: for each edge, how many induced graphlets
    on 3..``graphlet_size`` nodes hold it on each edge orbit: the 12 of
    ``orca edge 4`` (see :data:`graphrep.orbits.systems.EDGE_ORBIT_ENDPOINTS`
    and the table in the docs) for 4, the 68 of ``orca edge 5`` for 5 (the
    first 12 of them the counts for 4).

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        graphlet_size: 4 (``counts`` int64[m, 12]) or 5 (int64[m, 68]).
        backend: ``"cpp"``, ``"numba"`` or ``"auto"`` (C++ when built).
        num_threads: threads to use (default: all cores).

    Returns:
        ``(edges, counts)``: ``edges`` int64[m, 2], each edge once as
        ``(u, v)`` with ``u < v`` (row indices of the input's node order), in
        CSR order; ``counts`` int64[m, 12] or int64[m, 68].

    Example:
        >>> import networkx as nx
        >>> edges, counts = edge_orbit_counts(nx.complete_graph(4))
        >>> edges[0].tolist(), counts[0].tolist()
        ([0, 1], [0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        >>> edges, counts = edge_orbit_counts(nx.cycle_graph(5), graphlet_size=5)
        >>> counts[0, [0, 2, 3, 12, 13, 28]].tolist()                  # each edge lies on the 5-cycle's orbit 28
        [2, 2, 1, 0, 0, 1]
    """
    size = check_graphlet_size(graphlet_size)
    edges, counts, _ = _edge_counts(as_graph(graph), size, backend, num_threads)
    return edges, counts


def _edge_counts(g: CSRGraph, graphlet_size: int, backend: str,
                 num_threads: int | None) -> tuple[np.ndarray, np.ndarray, str]:
    if graphlet_size == 5:
        chosen, core = choose_backend(backend)
        return g.edge_list(), edge_counts5(g, chosen, thread_count(num_threads, core)), chosen
    counts, chosen = _noninduced(g, _GRAPHLETS_2_TO_4, edges=True, backend=backend, num_threads=num_threads)
    return g.edge_list(), induced_from_noninduced(counts, _GRAPHLETS_2_TO_4.edge_system), chosen


class _NumberedMatrices(MatrixMapping):
    """Read-only mapping from a small integer (or its name, such as ``"e3"``)
    to an ``n x n`` ``int64`` ``scipy.sparse.csr_array``; ``node_ids[i]`` is
    the caller's id of row ``i``."""

    prefix = ""

    def __getitem__(self, key) -> sp.csr_array:
        if isinstance(key, str) and key.lower().startswith(self.prefix.lower()):
            key = key[len(self.prefix):]
        try:
            return self._matrices[int(key)]
        except (KeyError, ValueError, TypeError):
            raise KeyError(key) from None


class EdgeOrbitAdjacency(_NumberedMatrices):
    """The edge orbit adjacency matrices: ``A[e][u, v]`` is the number of
    induced graphlets holding the edge ``{u, v}`` on edge orbit ``e``
    (symmetric, nonzero only on edges). Keys ``0..11`` (``0..67`` for
    graphlets on up to five nodes), or ``"e0".."e11"``."""

    prefix = "e"


class GraphletAdjacency(_NumberedMatrices):
    """The graphlet adjacency matrices: ``A[g][u, v]`` (``u != v``) is the
    number of induced graphlets of type ``G_g`` holding both ``u`` and ``v``
    (symmetric, zero diagonal). Keys ``0..8``, or ``"G0".."G8"``."""

    prefix = "G"


def edge_orbit_adjacency(graph: Any, *, graphlet_size: int = 4, backend: str = "auto",
                         num_threads: int | None = None) -> EdgeOrbitAdjacency:
    """The 12 edge orbit adjacency matrices (GRADCO's edge orbit
    adjacencies; 68 with ``graphlet_size=5``): :func:`edge_orbit_counts`
    laid out on the edges, one symmetric ``n x n`` ``csr_array`` per edge
    orbit, zeros not stored.

    Example:
        >>> import networkx as nx
        >>> paw = nx.Graph([(0, 1), (1, 2), (2, 0), (2, 3)])
        >>> a = edge_orbit_adjacency(paw)
        >>> a["e6"].toarray()                    # the pendant edge of the paw
        array([[0, 0, 0, 0],
               [0, 0, 0, 0],
               [0, 0, 0, 1],
               [0, 0, 1, 0]])
    """
    size = check_graphlet_size(graphlet_size)
    g = as_graph(graph)
    edges, counts, chosen = _edge_counts(g, size, backend, num_threads)
    src = np.repeat(np.arange(g.num_nodes, dtype=np.int64), g.degrees)
    row_of_position = edge_rows(edges, g.num_nodes, src, g.indices)
    n = g.num_nodes
    matrices = {}
    for orbit in range(counts.shape[1]):
        matrix = sp.csr_array((counts[row_of_position, orbit], g.indices.copy(), g.indptr.copy()), shape=(n, n))
        matrix.eliminate_zeros()
        matrices[orbit] = matrix
    return EdgeOrbitAdjacency(matrices, g.node_ids, chosen)


def graphlet_adjacency(graph: Any, graphlets: Iterable | int | str | None = None, *, backend: str = "auto",
                       num_threads: int | None = None, max_memory: int | str | None = None) -> GraphletAdjacency:
    """Graphlet adjacency matrices (GRADCO): for each chosen graphlet ``G_g``
    (``g`` in 0..8), the ``n x n`` ``csr_array`` whose ``[u, v]`` counts the
    induced graphlets of type ``G_g`` holding both ``u`` and ``v``.

    Each such graphlet holds ``u`` and ``v`` on exactly one pair of orbits
    at one distance, so the matrix is the sum of the orbit adjacency
    matrices of that graphlet. Only one of each transposed pair of keys is
    computed, ``M + M^T`` supplies the other, and only the chosen graphlets'
    keys are asked of :func:`~graphrep.orbits.orbit_adjacency`, so the work
    follows the graphlets (``G0`` is the adjacency itself; only ``G3``
    needs the distance-3 columns).

    The memory is estimated first, as :func:`~graphrep.orbits.orbit_adjacency`
    estimates it (:func:`~graphrep.orbits.estimate`), with the graphlet
    matrices and the sums that build them added; a result that would not fit
    ``max_memory`` is refused before any matrix is computed.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        graphlets: graphlet numbers ``0..8`` or names ``"G0".."G8"``
            (default: all nine).
        backend, num_threads, max_memory: as for
            :func:`~graphrep.orbits.orbit_adjacency`.

    Raises:
        OutputTooLargeError: the estimate exceeds ``max_memory`` (the
            message gives the estimate and the ways out).

    Example:
        >>> import networkx as nx
        >>> a = graphlet_adjacency(nx.cycle_graph(4), graphlets=["G5"])
        >>> a[5].toarray()
        array([[0, 1, 1, 1],
               [1, 0, 1, 1],
               [1, 1, 0, 1],
               [1, 1, 1, 0]])
    """
    from graphrep.orbits.estimate import prepare

    chosen = _graphlet_selection(graphlets)
    keys = [key for key in ORBIT_ADJACENCY_KEYS if GRAPHLET_OF_ORBIT[key.o1] in chosen and key.o1 <= key.o2]
    g, selected, budget, engine, guess = prepare(graph, keys, backend=backend, num_threads=num_threads,
                                                 max_memory=max_memory)
    held = resident_memory() + guess.base_bytes - guess.graph_bytes
    needed = guess.bytes_in_memory - guess.base_bytes + _graphlet_bytes(guess, chosen)
    if held + needed > budget:
        raise OutputTooLargeError(
            f"graphlet adjacency output too large for memory: about {guess.total_nnz:,} orbit adjacency "
            f"nonzeros for {len(chosen)} graphlets, {format_size(needed)} in memory with the graphlet "
            f"matrices, beside the {format_size(held)} the process holds, over max_memory="
            f"{format_size(budget)}; ways out: ask for fewer graphlets, or stream their orbit adjacency "
            f"matrices to disk (write_orbit_adjacency, or `graphrep orbits ... -o DIR --max-memory SIZE`) "
            f"and add them there")
    result = compute_prepared(g, selected, budget, engine, guess, held)
    node_ids, chosen_backend = result.node_ids, result.backend
    pieces = dict(result)
    del result
    matrices = {}
    for graphlet in chosen:
        total = None
        for key in [key for key in pieces if GRAPHLET_OF_ORBIT[key.o1] == graphlet]:
            matrix = pieces.pop(key)
            term = matrix if key.o1 == key.o2 else matrix + matrix.T
            total = term if total is None else total + term
        matrices[graphlet] = sp.csr_array(total)
    return GraphletAdjacency(matrices, node_ids, chosen_backend)


def _graphlet_bytes(guess, chosen: list[int]) -> int:
    """Bytes of the graphlet matrices beside their orbit matrices: each at
    most the sum of its keys' entries (twice for a key whose transpose is
    added), plus the transpose and partial sum of the largest while it is
    built."""
    n = guess.num_nodes
    sizes = []
    for graphlet in chosen:
        entries = sum(count * (1 if key[1] == key[2] else 2) for key, count in guess.nnz.items()
                      if GRAPHLET_OF_ORBIT[key[1]] == graphlet)
        sizes.append(ENTRY_BYTES["cpp"] * min(entries, n * max(n - 1, 0)) + 8 * (n + 1))
    return sum(sizes) + 2 * max(sizes)


def edge_rows(edges: np.ndarray, num_nodes: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """For node pairs ``(src[i], dst[i])``, the row of ``{src, dst}`` in
    ``edges`` (the canonical ``u < v`` edges in CSR order, as
    :func:`edge_orbit_counts` returns them), or -1 when it is not an edge
    (self-loops included).

    Example:
        >>> edges = np.array([[0, 1], [0, 2], [1, 2]])
        >>> edge_rows(edges, 3, np.array([2, 1, 1]), np.array([1, 0, 1])).tolist()
        [2, 0, -1]
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    keys = edges[:, 0] * num_nodes + edges[:, 1]
    wanted = np.minimum(src, dst) * num_nodes + np.maximum(src, dst)
    rows = np.searchsorted(keys, wanted)
    found = rows < keys.shape[0]
    found[found] = keys[rows[found]] == wanted[found]
    return np.where(found, rows, -1)


def _graphlet_selection(graphlets) -> list[int]:
    if graphlets is None:
        return list(range(NUM_GRAPHLETS))
    if isinstance(graphlets, (int, np.integer, str)):
        graphlets = [graphlets]
    chosen = set()
    for item in graphlets:
        text = str(item).strip()
        number = text[1:] if text[:1] in "gG" else text
        if not number.isdigit() or int(number) >= NUM_GRAPHLETS:
            raise ValueError(f"graphlets: {item!r} is not one of G0..G8 (or 0..8)")
        chosen.add(int(number))
    if not chosen:
        raise ValueError("graphlets: empty selection; pass None for all nine")
    return sorted(chosen)


def _noninduced(g: CSRGraph, family: _Family, *, edges: bool, backend: str,
                num_threads: int | None) -> tuple[np.ndarray, str]:
    """Runs the family's counter stage by stage, rows split into chunks of
    equal estimated work; returns the non-induced counts (``[n, orbits]``, or
    ``[m, edge orbits]`` in canonical edge order) and the backend used."""
    chosen, core = choose_backend(backend)
    threads = thread_count(num_threads, core)
    max_degree = int(g.degrees.max()) if g.num_nodes else 0
    if max_degree > MAX_DEGREE:
        raise ValueError(f"graph: a node of degree {max_degree} makes graphlet counts overflow int64 "
                         f"(supported up to degree {MAX_DEGREE})")
    pool = ThreadPoolExecutor(threads) if chosen == "numba" and threads > 1 else None
    try:
        if chosen == "cpp":
            counter = getattr(core, family.cpp_counter)(g.indptr, g.indices, edges, threads)
            # OpenMP balances inside a call; each call ends in a barrier, costly on a busy machine
            parts = 1 if g.num_edges < 50_000_000 else 8
        else:
            from graphrep.orbits import _numba_counts

            counter = getattr(_numba_counts, family.numba_counter)(g.indptr, g.indices, edges, threads, pool)
            parts = 1 if g.num_edges < 20_000 or pool is None else 16 * threads
        stages = counter.stages
        with progress(total=len(stages) * g.num_nodes, desc="edge orbit counts" if edges else "orbit counts") as bar:
            for stage in stages:
                chunks = _balanced_chunks(counter.stage_work(stage), parts) if parts > 1 else [(0, g.num_nodes)]
                run = (pool.map if pool is not None else map)(lambda rows: counter.run(stage, *rows), chunks)
                for (r0, r1), _ in zip(chunks, run):
                    bar.update(r1 - r0)
        return counter.counts(), chosen
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _balanced_chunks(work: np.ndarray, parts: int) -> list[tuple[int, int]]:
    """Row ranges of roughly equal total ``work + 1``."""
    n = work.shape[0]
    if parts <= 1 or n <= 1:
        return [(0, n)]
    cumulative = np.cumsum(work.astype(np.float64) + 1.0)
    bounds = np.searchsorted(cumulative, np.linspace(0, cumulative[-1], parts + 1)[1:-1], side="right")
    cuts = np.unique(np.concatenate([[0], bounds, [n]]))
    return list(zip(cuts[:-1].tolist(), cuts[1:].tolist()))
