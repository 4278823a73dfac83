"""``orbit_adjacency`` and ``orbit_counts``: the public entry points, their
backends (C++ when built, else Numba) and the row-chunk driver."""
from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Iterator

import numpy as np
import scipy.sparse as sp

from graphrep._validate import check_int
from graphrep.graph import CSRGraph, as_graph
from graphrep.orbits.keys import (
    GRAPHLET_OF_ORBIT, GRAPHLET_SIZE, NUM_ORBITS, ORBIT_ADJACENCY_KEYS, OrbitKey, key_index, parse_key,
)
from graphrep.utils import progress

__all__ = ["orbit_adjacency", "orbit_counts", "OrbitAdjacency", "available_backends"]

BACKENDS = ("auto", "cpp", "numba")
_A3_KEYS = frozenset({5, 6, 9, 10, 14})
_CORE_WARNING = threading.Lock()
_core_checked = False
_core = None


def _load_core():
    """The C++ extension, or None with one warning per process."""
    global _core_checked, _core
    with _CORE_WARNING:
        if not _core_checked:
            _core_checked = True
            try:
                from graphrep import _core as core
            except ImportError as error:
                warnings.warn(
                    f"graphrep's C++ core is not available ({error}); using the Numba kernels",
                    RuntimeWarning, stacklevel=3,
                )
            else:
                _core = core
    return _core


def available_backends() -> list[str]:
    """Backends usable in this installation, fastest first.

    Example:
        >>> "numba" in available_backends()
        True
    """
    return (["cpp"] if _load_core() is not None else []) + ["numba"]


class OrbitAdjacency(Mapping):
    """Read-only mapping from :class:`~graphrep.orbits.keys.OrbitKey` to an
    ``n x n`` ``scipy.sparse.csr_array`` (``int64``), rows and columns in the
    input's node order; ``node_ids[i]`` is the caller's id of row ``i``.

    Keys may also be given as strings such as ``"h2_o1_o1"``.
    """

    def __init__(self, matrices: dict[OrbitKey, sp.csr_array], node_ids: np.ndarray, backend: str):
        self._matrices = matrices
        self.node_ids = node_ids
        self.backend = backend

    def __getitem__(self, key) -> sp.csr_array:
        if isinstance(key, str):
            key = parse_key(key)
        return self._matrices[OrbitKey(*key)]

    def __iter__(self) -> Iterator[OrbitKey]:
        return iter(self._matrices)

    def __len__(self) -> int:
        return len(self._matrices)

    @property
    def num_nodes(self) -> int:
        return int(self.node_ids.shape[0])

    def __repr__(self) -> str:
        nnz = sum(matrix.nnz for matrix in self._matrices.values())
        return (f"OrbitAdjacency(num_nodes={self.num_nodes}, keys={len(self)}, nnz={nnz}, "
                f"backend={self.backend!r})")


def orbit_adjacency(graph: Any, *, backend: str = "auto", keys: Iterable | None = None,
                    num_threads: int | None = None) -> OrbitAdjacency:
    """The graphlet orbit adjacency matrices of ``graph`` (GRADCO).

    ``M[(hop, o1, o2)][u, v]`` counts the induced connected graphlets on 2-4
    nodes holding ``u`` on orbit ``o1`` and ``v`` on orbit ``o2`` at distance
    ``hop`` inside the graphlet (Przulj's orbits 0..14). Counts are exact
    and identical between backends.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        backend: ``"cpp"``, ``"numba"`` or ``"auto"`` (C++ when built).
        keys: a subset of :data:`ORBIT_ADJACENCY_KEYS` (tuples or strings
            like ``"h2_o1_o1"``); skipping the keys that need 3-walks
            ``(1,4,5) (1,5,4) (1,5,5) (3,4,4) (1,8,8)`` saves most time.
        num_threads: threads to use (default: all cores, or ``OMP_NUM_THREADS``
            / ``NUMBA_NUM_THREADS``); the result does not depend on it.

    Returns:
        An :class:`OrbitAdjacency` mapping.

    Example:
        >>> import numpy as np
        >>> m = orbit_adjacency(np.array([[0, 1], [1, 2], [2, 0], [2, 3]]))
        >>> m[(1, 3, 3)].toarray()
        array([[0, 1, 1, 0],
               [1, 0, 1, 0],
               [1, 1, 0, 0],
               [0, 0, 0, 0]])
        >>> m["h2_o9_o10"][[3]].toarray()
        array([[1, 1, 0, 0]])
    """
    g = as_graph(graph)
    selected = _selected_keys(keys)
    wanted = np.zeros(len(ORBIT_ADJACENCY_KEYS), dtype=np.bool_)
    wanted[selected] = True
    chosen, row_stat, pieces = _run(g, wanted, counts_only=False, backend=backend, num_threads=num_threads)
    n = g.num_nodes
    matrices = {}
    for index in selected:
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(row_stat[:, index], out=indptr[1:])
        cols, vals = _gather(pieces, index, int(indptr[-1]))
        matrices[ORBIT_ADJACENCY_KEYS[index]] = sp.csr_array((vals, cols, indptr), shape=(n, n))
    return OrbitAdjacency(matrices, g.node_ids, chosen)


def orbit_counts(graph: Any, *, backend: str = "auto", num_threads: int | None = None) -> np.ndarray:
    """``int64[n, 15]`` graphlet degree vectors: how many induced graphlets on
    2-4 nodes hold each node on each orbit. Equal to the orbit adjacency row
    sums grouped by ``o1``, divided by the other nodes of the graphlet.

    Example:
        >>> import networkx as nx
        >>> orbit_counts(nx.star_graph(3))[:, [0, 1, 2, 6, 7]].tolist()
        [[3, 0, 3, 0, 1], [1, 2, 0, 1, 0], [1, 2, 0, 1, 0], [1, 2, 0, 1, 0]]
    """
    g = as_graph(graph)
    wanted = np.ones(len(ORBIT_ADJACENCY_KEYS), dtype=np.bool_)
    _, row_sums, _ = _run(g, wanted, counts_only=True, backend=backend, num_threads=num_threads)
    counts = np.zeros((g.num_nodes, NUM_ORBITS), dtype=np.int64)
    for index, (_, o1, _) in enumerate(ORBIT_ADJACENCY_KEYS):
        counts[:, o1] += row_sums[:, index]
    others = np.array([GRAPHLET_SIZE[GRAPHLET_OF_ORBIT[o]] - 1 for o in range(NUM_ORBITS)])
    return counts // others


def _selected_keys(keys) -> list[int]:
    if keys is None:
        return list(range(len(ORBIT_ADJACENCY_KEYS)))
    if isinstance(keys, (str, tuple)):
        keys = [keys]
    selected = sorted({key_index(parse_key(k) if isinstance(k, str) else k) for k in keys})
    if not selected:
        raise ValueError("keys: empty selection; pass None for all 28 matrices")
    return selected


def _gather(pieces: list, index: int, total: int) -> tuple[np.ndarray, np.ndarray]:
    """Joins one key's chunk pieces, releasing each piece once copied, so the
    peak stays at the output plus one piece."""
    cols = np.empty(total, dtype=np.int64)
    vals = np.empty(total, dtype=np.int64)
    position = 0
    for chunk_cols, chunk_vals in pieces:
        size = chunk_cols[index].shape[0]
        cols[position:position + size] = chunk_cols[index]
        vals[position:position + size] = chunk_vals[index]
        chunk_cols[index] = chunk_vals[index] = None
        position += size
    return cols, vals


def row_sums(indptr: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Exact ``int64`` sums of ``values`` over each CSR row."""
    prefix = np.zeros(values.shape[0] + 1, dtype=np.int64)
    np.cumsum(values, out=prefix[1:])
    return prefix[indptr[1:]] - prefix[indptr[:-1]]


def _num_threads(requested: int | None, core) -> int:
    if requested is not None:
        return check_int(requested, "num_threads", minimum=1)
    if core is not None:
        return core.max_threads()
    import numba

    return numba.get_num_threads()


def _chunks(g: CSRGraph, parts: int) -> list[tuple[int, int]]:
    """Row ranges of roughly equal work (walks of length <= 3 from each row)."""
    deg = g.degrees
    d2 = row_sums(g.indptr, deg[g.indices])
    d3 = row_sums(g.indptr, d2[g.indices])
    work = np.cumsum((1 + deg + d2 + d3).astype(np.float64))
    bounds = np.searchsorted(work, np.linspace(0, work[-1], parts + 1)[1:-1], side="right")
    edges = np.unique(np.concatenate([[0], bounds, [g.num_nodes]]))
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def _run(g: CSRGraph, wanted: np.ndarray, *, counts_only: bool, backend: str, num_threads: int | None):
    """Runs the chosen backend over row chunks; returns (backend, row_stat,
    pieces) where pieces[c] = ([cols per key], [vals per key]) for chunk c."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    core = _load_core() if backend in ("auto", "cpp") else None
    if backend == "cpp" and core is None:
        raise ValueError("backend='cpp' but graphrep's C++ core is not built; use 'numba' or 'auto'")
    chosen = "cpp" if core is not None else "numba"
    need_a3 = bool(wanted[list(_A3_KEYS)].any())
    threads = _num_threads(num_threads, core)
    if chosen == "cpp":
        run_rows = core.OrbitRows(g.indptr, g.indices, wanted, need_a3, counts_only, threads)
        # OpenMP splits each call; several calls bound the transient copy and feed the progress bar
        chunks, pool = _chunks(g, 1 if g.num_edges < 2_000 else 32), None
    else:
        run_rows = _NumbaRows(g, wanted, need_a3, counts_only)
        chunks = _chunks(g, 1 if g.num_edges < 2_000 else 16 * threads)
        pool = ThreadPoolExecutor(threads) if len(chunks) > 1 and threads > 1 else None
    row_stat = np.zeros((g.num_nodes, len(ORBIT_ADJACENCY_KEYS)), dtype=np.int64)
    pieces = []
    results = (pool or _SERIAL).map(lambda rows: run_rows(*rows), chunks)
    try:
        bar = progress(total=g.num_nodes, desc="orbit adjacency" if not counts_only else "orbit counts")
        with bar:
            for (u0, u1), (stat, cols, vals) in zip(chunks, results):
                row_stat[u0:u1] = stat
                if not counts_only:
                    pieces.append((list(cols), list(vals)))
                bar.update(u1 - u0)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    return chosen, row_stat, pieces


class _Serial:
    @staticmethod
    def map(function, items):
        return map(function, items)


_SERIAL = _Serial()


class _NumbaRows:
    """Per-graph precomputation plus per-thread scratch for the Numba kernel."""

    def __init__(self, g: CSRGraph, wanted: np.ndarray, need_a3: bool, counts_only: bool):
        from graphrep.orbits import _numba as kernels

        self.kernels = kernels
        self.g, self.wanted, self.need_a3, self.counts_only = g, wanted, need_a3, counts_only
        self.deg = g.degrees.astype(np.int64)
        self.t = kernels.edge_triangle_counts(g.indptr, g.indices)
        self.tptr = np.zeros(g.indices.shape[0] + 1, dtype=np.int64)
        np.cumsum(self.t, out=self.tptr[1:])
        self.tlist = kernels.edge_triangle_lists(g.indptr, g.indices, self.tptr)
        self.tri = row_sums(g.indptr, self.t) // 2
        self.d2 = row_sums(g.indptr, self.deg[g.indices])
        self.local = threading.local()

    def __call__(self, u0: int, u1: int):
        scratch = getattr(self.local, "scratch", None)
        if scratch is None:
            n = self.g.num_nodes
            acc = np.zeros((n, 8), dtype=np.int64)
            acc[:, 6] = -1
            scratch = [acc, np.zeros(n, dtype=np.uint8), np.empty(n, dtype=np.int64),
                       np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int8)]
            self.local.scratch = scratch
        row_stat, cols, vals, *scratch[3:] = self.kernels.orbit_rows(
            u0, u1, self.g.indptr, self.g.indices, self.deg, self.tri, self.d2, self.t, self.tptr,
            self.tlist, self.wanted, self.need_a3, self.counts_only, *scratch,
        )
        return row_stat, cols, vals
