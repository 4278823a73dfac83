"""Driver of the five-node counts: the three kernel passes over chunks of
roots on several threads, then the exact solve of :mod:`._system5`.
:func:`graphrep.orbits.orbit_counts` and
:func:`~graphrep.orbits.edge_orbit_counts` call it with ``graphlet_size=5``.

Memory: the graph, eight ``int64`` arrays per CSR slot (``O(m)``), a few
per-node arrays, ``O(n)`` scratch per thread, and the kernel columns: per
node (``82 + 3`` per thread) for node counts, per slot for edge counts.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from graphrep.graph import CSRGraph
from graphrep.utils import progress
from graphrep.orbits.budget import OutputTooLargeError, available_memory, format_size
from graphrep.orbits._system5 import NUM_QUANTITIES, REMOTE_NODE_ORBITS, solve_edges, solve_nodes

__all__ = ["estimate_bytes", "rooted_columns", "node_counts5", "edge_counts5", "MAX_DEGREE"]

# Every kernel value is at most d_max^4 (a homomorphism of a five-node
# pattern rooted at a node chooses each other node among the neighbours of
# one already placed), so int64 holds all of them up to this degree.
MAX_DEGREE = 55_108


def estimate_bytes(g: CSRGraph, *, per_slot: bool, num_threads: int) -> int:
    """Bytes the five-node count adds to the process: the per-slot statistics
    and the degree order, the per-node statistics, the scratch of each
    thread, the kernel columns (per slot or per node) and the solved counts
    with one block of solver temporaries."""
    n, slots = g.num_nodes, g.indices.shape[0]
    statistics = 8 * (8 * slots + slots // 2 + 16 * n)
    scratch = 8 * 16 * n * num_threads
    if per_slot:
        columns = 8 * slots * NUM_QUANTITIES
        solved = 8 * (slots // 2) * 68 + 8 * 8192 * (2 * NUM_QUANTITIES + 114 + 68)
    else:
        columns = 8 * n * (NUM_QUANTITIES + 3 * (num_threads + 1))
        solved = 8 * n * 73
    return statistics + scratch + columns + solved


def _check_memory(g: CSRGraph, per_slot: bool, num_threads: int) -> None:
    need = estimate_bytes(g, per_slot=per_slot, num_threads=num_threads)
    allowed = int(0.8 * available_memory())
    if need > allowed:
        what = "edge" if per_slot else "node"
        ways = ("count node orbits (a few hundred bytes per node) or the edge orbits of graphlets on up to "
                "4 nodes (graphlet_size=4), or split the graph" if per_slot else
                "use fewer threads, count graphlets on up to 4 nodes (graphlet_size=4), or split the graph")
        raise OutputTooLargeError(
            f"five-node {what} orbit counts of this graph ({g.num_nodes} nodes, {g.num_edges} edges) need about "
            f"{format_size(need)}, over the {format_size(allowed)} (80% of the memory available now) they may "
            f"use; {ways}")


def _row_sums(indptr: np.ndarray, values: np.ndarray) -> np.ndarray:
    prefix = np.zeros(values.shape[0] + 1, dtype=np.int64)
    np.cumsum(values, out=prefix[1:])
    return prefix[indptr[1:]] - prefix[indptr[:-1]]


def _reverse_slots(g: CSRGraph) -> np.ndarray:
    """rev[s] = slot of (y, x) for the slot s = (x, y)."""
    n = g.num_nodes
    rows = np.repeat(np.arange(n, dtype=np.int64), g.degrees)
    keys = rows * n + g.indices
    return np.searchsorted(keys, g.indices * n + rows)


def _degree_order(g: CSRGraph) -> tuple[np.ndarray, np.ndarray]:
    """Each node's neighbours that come later in the (degree, id) order."""
    n = g.num_nodes
    deg = g.degrees
    rank = np.empty(n, dtype=np.int64)
    rank[np.lexsort((np.arange(n), deg))] = np.arange(n)
    rows = np.repeat(np.arange(n, dtype=np.int64), deg)
    keep = rank[g.indices] > rank[rows]
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows[keep], minlength=n), out=out_ptr[1:])
    return out_ptr, g.indices[keep].copy()


def _chunks(g: CSRGraph, parts: int) -> list[tuple[int, int]]:
    """Root ranges of roughly equal work (walks of length <= 3 from each root)."""
    deg = g.degrees.astype(np.float64)
    d2 = _row_sums(g.indptr, g.degrees[g.indices]).astype(np.float64)
    d3 = _row_sums(g.indptr, d2[g.indices].astype(np.int64)).astype(np.float64)
    work = np.cumsum(1 + deg + d2 + d3)
    bounds = np.searchsorted(work, np.linspace(0, work[-1], parts + 1)[1:-1], side="right")
    edges = np.unique(np.concatenate([[0], bounds, [g.num_nodes]]))
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


class _NumbaCounts:
    """The three passes as Numba calls (``nogil``) with per-thread scratch:
    the constructor runs passes 1-2 over ``chunks`` on ``pool``;
    :meth:`columns` runs pass 3 on one root range in the calling thread."""

    def __init__(self, g: CSRGraph, per_slot: bool, chunks, pool):
        from graphrep.orbits import _numba_counts5 as kernels

        self.kernels, self.g, self.per_slot = kernels, g, per_slot
        self.local = threading.local()
        self.remotes: list[np.ndarray] = []
        n, indptr, indices = g.num_nodes, g.indptr, g.indices
        slots = indices.shape[0]
        deg = g.degrees.astype(np.int64)
        self.reverse_slots = rev = _reverse_slots(g)
        t = np.zeros(slots, dtype=np.int64)
        _map(pool, lambda u0, u1: kernels.edge_triangles(u0, u1, indptr, indices, self._scratch()["mark"], t),
             chunks)
        tri = _row_sums(indptr, t) // 2
        s1 = _row_sums(indptr, deg[indices])
        s2 = _row_sums(indptr, deg[indices] ** 2)
        w3n = _row_sums(indptr, s1[indices])
        q1 = _row_sums(indptr, tri[indices])
        p1 = _row_sums(indptr, t * deg[indices])
        dg = _row_sums(indptr, t * t)
        out_ptr, out_idx = _degree_order(g)
        a3, td, tt, k4, k5 = (np.zeros(slots, dtype=np.int64) for _ in range(5))
        c4h = np.zeros(n, dtype=np.int64)

        def statistics(u0, u1):
            s = self._scratch()
            kernels.edge_statistics(u0, u1, indptr, indices, deg, t, out_ptr, out_idx, s["mark"], s["zeros"][0],
                                    s["lists"][0], s["stamp"], s["inner"], s["common"][0], s["counter"],
                                    a3, td, tt, k4, k5, c4h)

        _map(pool, statistics, chunks)
        dt = _row_sums(indptr, tt[rev])
        k4n = _row_sums(indptr, k4) // 3
        self.node_stats = (rev, deg, s1, s2, w3n, tri, q1, p1, dg, dt, c4h, k4n)
        self.slot_stats = (t, a3, td, tt, k4, k5)
        self.out = np.zeros((slots if per_slot else n, NUM_QUANTITIES), dtype=np.int64)

    def _scratch(self) -> dict:
        scratch = getattr(self.local, "scratch", None)
        if scratch is None:
            n = self.g.num_nodes
            dmax = int(self.g.degrees.max(initial=0)) + 1
            scratch = {
                "mark": np.full(n, -1, dtype=np.int64), "stamp": np.zeros(n, dtype=np.int64),
                "inner": np.zeros(n, dtype=np.int64), "counter": np.zeros(1, dtype=np.int64),
                "zeros": [np.zeros(n, dtype=np.int64) for _ in range(5)],
                "lists": [np.empty(n, dtype=np.int64) for _ in range(4)],
                "common": [np.empty(dmax, dtype=np.int64) for _ in range(3)],
                "remote": np.zeros((n if not self.per_slot else 1, len(REMOTE_NODE_ORBITS)), dtype=np.int64),
            }
            self.remotes.append(scratch["remote"])
            self.local.scratch = scratch
        return scratch

    def columns(self, u0: int, u1: int) -> None:
        s = self._scratch()
        c, ct, w3, erow, cnt = s["zeros"]
        self.kernels.rooted_counts(
            u0, u1, self.per_slot, self.g.indptr, self.g.indices, *self.node_stats, *self.slot_stats, self.out,
            s["remote"], s["mark"], s["stamp"], s["counter"], c, ct, w3, erow, cnt, *s["lists"], *s["common"],
        )

    def remote(self) -> np.ndarray:
        total = np.zeros((self.g.num_nodes, len(REMOTE_NODE_ORBITS)), dtype=np.int64)
        if not self.per_slot:
            for array in self.remotes:
                total += array
        return total


def _map(pool, function, chunks) -> list:
    if pool is None:
        return [function(u0, u1) for u0, u1 in chunks]
    return list(pool.map(lambda bounds: function(*bounds), chunks))


def rooted_columns(g: CSRGraph, *, per_slot: bool, backend: str = "numba", num_threads: int = 1,
                   desc: str = "five-node counts"):
    """The kernels' columns ``h``: ``int64[2m, 82]`` per CSR slot
    (``per_slot``) or ``int64[n, 82]`` summed per root; ``int64[n, 3]``, the
    remote columns (zeros when ``per_slot``); and the reverse slots."""
    deg = g.degrees
    if g.num_nodes and int(deg.max()) > MAX_DEGREE:
        raise ValueError(
            f"graph: a node has degree {int(deg.max())}; five-node counts are exact in int64 only up to "
            f"degree {MAX_DEGREE} (remove or split the hub, or count graphlets on up to 4 nodes: graphlet_size=4)"
        )
    _check_memory(g, per_slot, num_threads)
    small = g.num_edges < 2_000
    if backend == "cpp":
        from graphrep import _core

        counts = _core.Counts5(g.indptr, g.indices, per_slot, num_threads)
        # OpenMP splits each call; several calls feed the progress bar
        chunks, pool = _chunks(g, 1 if small else 8), None
        run = counts.columns
    else:
        chunks = _chunks(g, 1 if small else 16 * num_threads)
        pool = ThreadPoolExecutor(num_threads) if num_threads > 1 and len(chunks) > 1 else None
    try:
        if backend != "cpp":
            counts = _NumbaCounts(g, per_slot, chunks, pool)
            run = counts.columns
        results = (pool.map(lambda bounds: run(*bounds), chunks) if pool is not None
                   else (run(u0, u1) for u0, u1 in chunks))
        with progress(total=g.num_nodes, desc=desc) as bar:
            for (u0, u1), _ in zip(chunks, results):
                bar.update(u1 - u0)
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return counts.out, counts.remote(), counts.reverse_slots


def node_counts5(g: CSRGraph, backend: str = "numba", num_threads: int = 1) -> np.ndarray:
    """``int64[n, 73]`` induced node orbit counts of graphlets on 2-5 nodes."""
    out, remote, _ = rooted_columns(g, per_slot=False, backend=backend, num_threads=num_threads,
                                    desc="five-node orbit counts")
    return solve_nodes(out, remote, g.degrees.astype(np.int64))


def edge_counts5(g: CSRGraph, backend: str = "numba", num_threads: int = 1) -> np.ndarray:
    """``int64[m, 68]`` induced edge orbit counts, edges ``u < v`` in CSR order."""
    out, _, rev = rooted_columns(g, per_slot=True, backend=backend, num_threads=num_threads,
                                 desc="five-node edge orbit counts")
    rows = np.repeat(np.arange(g.num_nodes, dtype=np.int64), g.degrees)
    return solve_edges(out, np.flatnonzero(rows < g.indices), rev)
