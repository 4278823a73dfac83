"""How large the orbit adjacency matrices of a graph will be, and how long
they take, before computing them."""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from graphrep.graph import CSRGraph, as_graph
from graphrep.orbits._engine import make_engine, wanted_mask
from graphrep.orbits.budget import ENTRY_BYTES, ROW_BYTES, format_size, resolve_budget
from graphrep.orbits.keys import GRAPHLET_OF_ORBIT, ORBIT_ADJACENCY_KEYS, OrbitKey, format_key
from graphrep.orbits.plan import F_A3_FAR, F_EC, F_T, RowBounds

__all__ = ["OrbitEstimate", "estimate", "sample_size"]

FORMATS = ("npz", "mtx", "tsv")
# Per file: zip and npy headers, indptr's trailing entry.
_FILE_OVERHEAD = 1024


@dataclass(frozen=True)
class OrbitEstimate:
    """What :func:`estimate` found; ``str()`` prints it as a table.

    Attributes:
        num_nodes, num_edges: the graph's size.
        nnz: key -> expected nonzeros (exact where ``key in exact``).
        nnz_high: key -> an upper bound on the nonzeros that always holds.
        exact: keys whose ``nnz`` is exact (``(1,0,0)`` always; all keys
            when every row was counted).
        bytes_in_memory: expected bytes :func:`~graphrep.orbits.orbit_adjacency`
            holds at its peak (output, graph, kernel arrays and scratch;
            the interpreter not included).
        bytes_on_disk: format -> expected bytes the output folder of
            :func:`~graphrep.orbits.write_orbit_adjacency` needs at its
            peak (streamed row blocks plus finished files; npz before
            compression, so an upper bound given ``nnz``).
        seconds: expected compute time on this machine (files not included).
        base_bytes: the part of ``bytes_in_memory`` that is not output.
        graph_bytes: the part of ``base_bytes`` that is the graph itself.
        row_entries: expected output entries per row over all keys
            (``int64[n]``, for sizing row blocks).
        sample_rows, seed: rows counted exactly, and the seed that chose them.
    """

    num_nodes: int
    num_edges: int
    nnz: dict[OrbitKey, int]
    nnz_high: dict[OrbitKey, int]
    exact: frozenset
    bytes_in_memory: int
    bytes_on_disk: dict[str, int]
    seconds: float
    base_bytes: int
    graph_bytes: int
    backend: str
    threads: int
    sample_rows: int
    seed: int
    row_entries: np.ndarray = field(repr=False, compare=False)

    @property
    def keys(self) -> list[OrbitKey]:
        return list(self.nnz)

    @property
    def total_nnz(self) -> int:
        return sum(self.nnz.values())

    def __str__(self) -> str:
        exactness = "every row counted" if self.sample_rows >= self.num_nodes else (
            f"{self.sample_rows} of {self.num_nodes} rows counted (seed {self.seed})")
        lines = [f"orbit adjacency estimate: {self.num_nodes} nodes, {self.num_edges} edges, {len(self.nnz)} "
                 f"matrices; {exactness}",
                 f"{'matrix':<12}{'graphlet':>9}{'nonzeros':>16}{'upper bound':>16}"]
        for key, value in self.nnz.items():
            mark = "" if key in self.exact else "~"
            lines.append(f"{format_key(key):<12}{'G' + str(GRAPHLET_OF_ORBIT[key[1]]):>9}"
                         f"{mark + format(value, ','):>16}{self.nnz_high[key]:>16,}")
        lines.append(f"{'total':<21}{format(self.total_nnz, ','):>16}{sum(self.nnz_high.values()):>16,}")
        disk = ", ".join(f"{fmt} {format_size(size)}" for fmt, size in self.bytes_on_disk.items())
        lines.append(f"memory for the result in memory: {format_size(self.bytes_in_memory)}; "
                     f"disk while writing: {disk}")
        lines.append(f"compute time: about {self.seconds:.3g} s ({self.backend}, {self.threads} threads)")
        return "\n".join(lines)


def sample_size(num_nodes: int) -> int:
    """Rows :func:`estimate` counts exactly: ``64 + n // 500`` (every row of
    a graph with at most 64 nodes). The per-row work is about the full
    computation's, so the sample costs about ``1/500`` of it plus 64 rows,
    and the ratio estimator's error shrinks as ``1/sqrt(rows)``.

    Example:
        >>> sample_size(10_000), sample_size(40)
        (84, 40)
    """
    return min(num_nodes, 64 + num_nodes // 500)


def estimate(graph: Any, keys: Iterable | None = None, *, backend: str = "auto", num_threads: int | None = None,
             seed: int = 0) -> OrbitEstimate:
    """Expected size, an upper bound on it, memory, disk and time of the
    orbit adjacency matrices of ``graph``, without computing them.

    The exact per-key entry counts of :func:`sample_size` rows (chosen
    uniformly by ``seed``) are scaled up by a ratio estimator against
    per-row upper bounds known for every row, ``sum_u bound(u) *
    (sum_sample nnz / sum_sample bound)``; ``(1, 0, 0)`` is exact (the
    edges, both directions). ``nnz_high`` sums the per-row bounds of
    :class:`graphrep.orbits.plan.RowBounds`: hop-1 entries lie on edges, a
    hop-2 entry needs a wedge ending at its column, a ``(3,4,4)`` entry a
    3-walk, and no row has more than ``n - 1 - d(u)`` non-neighbours.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        keys: the keys to estimate (default: all 28).
        backend, num_threads: as for :func:`~graphrep.orbits.orbit_adjacency`.
        seed: chooses the sampled rows.

    Example:
        >>> import networkx as nx
        >>> e = estimate(nx.karate_club_graph(), keys=["h1_o0_o0", "h2_o1_o1"])
        >>> e.nnz[(1, 0, 0)], e.nnz[(2, 1, 1)] <= e.nnz_high[(2, 1, 1)]
        (156, True)
    """
    from graphrep.orbits.adjacency import _selected_keys as selected_keys

    g = as_graph(graph)
    selected = selected_keys(keys)
    rows = sample_rows(g.num_nodes, seed)
    started = time.perf_counter()
    # a kernel for the sampled rows alone: its edge triangle counts cover
    # their neighbourhoods, and their time is scaled to the whole graph's
    engine = make_engine(g, wanted_mask(selected), backend=backend, num_threads=num_threads, sample=rows)
    built = time.perf_counter() - started
    near = engine.rows.near_seconds if engine.name == "cpp" else 0.0
    precompute = built - near + near / _near_fraction(g, rows)
    return estimate_with(engine, g, selected, seed=seed, precompute_seconds=precompute)


def prepare(graph: Any, keys, *, backend: str, num_threads: int | None, max_memory=None, seed: int = 0):
    """What every computation does first: ``(graph, key indices, budget in
    bytes, engine, estimate)``."""
    from graphrep.orbits.adjacency import _selected_keys as selected_keys

    g = as_graph(graph)
    selected = selected_keys(keys)
    budget = resolve_budget(max_memory)
    started = time.perf_counter()
    engine = make_engine(g, wanted_mask(selected), backend=backend, num_threads=num_threads)
    guess = estimate_with(engine, g, selected, seed=seed, precompute_seconds=time.perf_counter() - started)
    return g, selected, budget, engine, guess


def sample_rows(num_nodes: int, seed: int) -> np.ndarray:
    """The rows :func:`estimate` counts: :func:`sample_size` of them, chosen
    uniformly by ``seed``, in order.

    Example:
        >>> sample_rows(40, seed=0).tolist() == list(range(40)), len(sample_rows(10_000, seed=0))
        (True, 84)
    """
    size = sample_size(num_nodes)
    if size >= num_nodes:
        return np.arange(num_nodes, dtype=np.int64)
    return np.sort(np.random.default_rng(seed).choice(num_nodes, size, replace=False))


def _near_fraction(g: CSRGraph, rows: np.ndarray) -> float:
    """The share of the adjacency entries that lie in the rows of ``rows``
    and of their neighbours (those a kernel built for ``rows`` precomputes)."""
    stored = int(g.indices.shape[0])
    if stored == 0:
        return 1.0
    degrees = g.degrees.astype(np.int64)
    counts = degrees[rows]
    # positions of the rows' entries: each row's start, plus 0..d-1
    positions = np.repeat(g.indptr[rows] - (np.cumsum(counts) - counts), counts) + np.arange(int(counts.sum()))
    near = np.zeros(g.num_nodes, dtype=bool)
    near[rows] = True
    near[g.indices[positions]] = True
    return max(float(degrees[near].sum()), 1.0) / stored


def estimate_with(engine, g: CSRGraph, selected: list[int], *, seed: int = 0,
                  precompute_seconds: float | None = None) -> OrbitEstimate:
    """:func:`estimate` on an engine already built for ``selected``
    (``precompute_seconds``: how long building it for every row takes)."""
    n, m = g.num_nodes, g.num_edges
    bounds = RowBounds(g)
    size = sample_size(n)
    rows = sample_rows(n, seed)
    clock = time.perf_counter()
    counted = engine.row_nnz(rows)
    sample_seconds = time.perf_counter() - clock
    every_row = size >= n
    nnz, high, exact = {}, {}, set()
    # keys share one of four per-row bounds: their sums are taken once, and
    # row_entries is one pass per bound (a pass over n per key is most of the
    # estimate's time on large sparse graphs)
    totals, sampled_totals, weights = {}, {}, {}
    row_entries = np.zeros(n, dtype=np.float64)
    for index in selected:
        key = ORBIT_ADJACENCY_KEYS[index]
        bound = bounds.of_key(index)
        kind = id(bound)
        if kind not in totals:
            totals[kind], sampled_totals[kind], weights[kind] = int(bound.sum()), int(bound[rows].sum()), 0.0
        high[key] = totals[kind]
        if every_row or index == 0:
            nnz[key] = int(counted[:, index].sum()) if every_row else 2 * m
            exact.add(key)
            if every_row:
                row_entries += counted[:, index]
            else:
                weights[kind] += 1.0
            continue
        sampled = int(counted[:, index].sum())
        ratio = sampled / sampled_totals[kind] if sampled_totals[kind] else 0.0
        nnz[key] = min(high[key], int(round(ratio * high[key])))
        weights[kind] += ratio
    for index in selected:
        bound = bounds.of_key(index)
        weight = weights.pop(id(bound), 0.0)
        if weight:
            row_entries += weight * bound
    flags = engine.flags
    cost = _row_cost(g, bounds, flags)
    scale = float(cost.sum()) / max(float(cost[rows].sum()), 1.0)
    total = sum(nnz.values())
    backend = engine.name
    seconds = sample_seconds * scale + total * _SECONDS_PER_ENTRY[backend]
    seconds += precompute_seconds or 0.0
    base = base_bytes(g, flags, engine.threads, backend)
    bytes_in_memory = base + sum(ENTRY_BYTES["cpp"] * v + 8 * (n + 1) for v in nnz.values()) \
        + ENTRY_BYTES[backend] * total // 32 + ROW_BYTES * n
    disk = {fmt: disk_bytes(nnz, n, fmt, _id_digits(g)) for fmt in FORMATS}
    return OrbitEstimate(
        num_nodes=n, num_edges=m, nnz=nnz, nnz_high=high, exact=frozenset(exact),
        bytes_in_memory=int(bytes_in_memory), bytes_on_disk=disk, seconds=float(seconds), base_bytes=int(base),
        graph_bytes=int(graph_bytes(g)),
        backend=backend, threads=engine.threads, sample_rows=int(size), seed=int(seed), row_entries=row_entries,
    )


# Kernel time per stored entry (buffers, copies), measured on BA(10k, 4).
_SECONDS_PER_ENTRY = {"cpp": 4e-9, "numba": 8e-9}


def _row_cost(g: CSRGraph, bounds: RowBounds, flags: int) -> np.ndarray:
    """Relative work of each row: the wedges (twice with EC), the columns
    emitted, and the 3-walks when the full row product runs."""
    deg = g.degrees.astype(np.float64)
    wedges = bounds.hop2 + deg
    cost = 1 + deg + wedges * (2 if flags & F_EC else 1)
    if flags & F_A3_FAR:
        cost = cost + bounds.hop3
    return cost


def graph_bytes(g: CSRGraph) -> int:
    return 8 * (g.num_nodes + 1) + 8 * int(g.indices.shape[0]) + g.node_ids.nbytes


def base_bytes(g: CSRGraph, flags: int, threads: int, backend: str) -> int:
    """Bytes a computation holds besides output: the graph, the kernel's
    per-graph arrays (degrees, triangles, neighbour degree sums, edge
    triangle counts when read) and per-thread scratch (a 64-byte
    accumulator, a mark and two index lists per node). For EC the C++ core
    also keeps the edge triangle counts, the neighbourhood bitsets of the
    hubs (nodes with ``64 d >= n``) and a third index list and a bitset per
    thread."""
    n, stored = g.num_nodes, int(g.indices.shape[0])
    graph = graph_bytes(g)
    ec_cpp = backend == "cpp" and bool(flags & F_EC)
    kernel = 24 * n + (8 * stored if flags & F_T or ec_cpp else 0)
    scratch = threads * (64 + 1 + 16) * n
    if ec_cpp:
        words = (n + 63) // 64
        hubs = int(np.count_nonzero(g.degrees.astype(np.int64) * 64 >= n))
        kernel += 8 * n + 8 * words * hubs
        scratch += threads * (8 * n + 8 * words)
    return graph + kernel + scratch + (8 * n if backend == "numba" else 0)


def _id_digits(g: CSRGraph) -> float:
    """Mean length of the node ids as text (for the tsv estimate)."""
    ids = g.node_ids
    if ids.dtype == object:
        return float(np.mean([len(str(i)) for i in ids[:10_000]])) if ids.shape[0] else 1.0
    return _mean_digits(int(ids.max()) + 1) if ids.shape[0] else 1.0


def _mean_digits(limit: int) -> float:
    """Mean number of decimal digits of 0..limit-1."""
    total, low, digits = 0, 0, 1
    while low < limit:
        high = min(limit, 10 ** digits)
        total += (high - low) * digits
        low, digits = high, digits + 1
    return total / max(limit, 1)


def disk_bytes(nnz: dict, n: int, fmt: str, id_digits: float) -> int:
    """Peak disk of writing: finished files plus the row-block shards not yet
    merged, ``sum_k max(shard_k, file_k) + max_k min(shard_k, file_k)``."""
    index_digits = _mean_digits(n + 1)
    shards, files = [], []
    for key, count in nnz.items():
        shard = 16 * count + 8 * n + _FILE_OVERHEAD
        if fmt == "npz":
            final = shard + 8 * (n + 1)
        elif fmt == "mtx":
            final = count * (2 * index_digits + 3 + 3) + 64
        else:
            final = count * (2 * id_digits + 6 + len(",".join(map(str, key))) + 3)
        shards.append(shard)
        files.append(final)
    if not shards:
        return 0
    return int(sum(max(s, f) for s, f in zip(shards, files)) + max(min(s, f) for s, f in zip(shards, files))
               + math.ceil(n * 12))
