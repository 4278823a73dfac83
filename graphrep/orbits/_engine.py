"""The two kernel backends behind one interface, and the loop that runs rows
through them under an entry cap.

An engine is built once per (graph, keys): it precomputes the edge triangle
counts when the keys need them. ``compute(u0, u1, max_entries)`` returns
:class:`Piece` objects for the rows it finished (every row if the cap is
``-1``, else at least one row and about ``max_entries`` entries);
``row_nnz(rows)`` the exact entry counts of some rows without storing them.
"""
from __future__ import annotations

import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, NamedTuple

import numpy as np

from graphrep._validate import check_int
from graphrep.graph import CSRGraph
from graphrep.orbits.keys import ORBIT_ADJACENCY_KEYS
from graphrep.orbits.plan import (
    A3, F_D2, F_T, F_TRI, HOP3_KEY, KEY_NEEDS, kernel_flags, row_sums,
)

BACKENDS = ("auto", "cpp", "numba")
NUM_KEYS = len(ORBIT_ADJACENCY_KEYS)
_CORE_WARNING = threading.Lock()
_core_checked = False
_core = None


def load_core():
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


def choose_backend(backend: str):
    """``(name, core module or None)`` for a requested backend."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    core = load_core() if backend in ("auto", "cpp") else None
    if backend == "cpp" and core is None:
        raise ValueError("backend='cpp' but graphrep's C++ core is not built; use 'numba' or 'auto'")
    return ("cpp" if core is not None else "numba"), core


def thread_count(requested: int | None, core) -> int:
    if requested is not None:
        return check_int(requested, "num_threads", minimum=1)
    if core is not None:
        return core.max_threads()
    import numba

    return numba.get_num_threads()


def wanted_mask(selected) -> np.ndarray:
    wanted = np.zeros(NUM_KEYS, dtype=np.bool_)
    wanted[list(selected)] = True
    return wanted


def needs_a3(wanted: np.ndarray) -> bool:
    return any(KEY_NEEDS[i] & A3 for i in np.flatnonzero(wanted))


class Piece(NamedTuple):
    """Rows ``u0..u1-1``: ``row_stat[u1 - u0, 28]`` entry counts,
    ``cols[key]`` / ``vals[key]`` their entries in order."""

    u0: int
    u1: int
    row_stat: np.ndarray
    cols: list
    vals: list

    @property
    def entries(self) -> int:
        return sum(int(c.shape[0]) for c in self.cols)


def make_engine(g: CSRGraph, wanted: np.ndarray, *, backend: str = "auto", num_threads: int | None = None,
                sample: np.ndarray | None = None):
    """The kernel for ``g`` and the ``wanted`` keys. ``sample``: the only
    rows it will count (``row_nnz``), so that the C++ core precomputes the
    edge triangle counts near them alone; such an engine refuses
    ``compute``. (The Numba engine precomputes for every row either way.)"""
    name, core = choose_backend(backend)
    threads = thread_count(num_threads, core)
    if name == "cpp":
        return CppEngine(core, g, wanted, threads, sample)
    return NumbaEngine(g, wanted, threads)


def _split(ranges: np.ndarray, row_stat: np.ndarray, cols, vals, u0: int) -> list[Piece]:
    """One piece per row range of a kernel call."""
    if len(ranges) == 1:
        return [Piece(int(a), int(b), row_stat[a - u0:b - u0], list(cols), list(vals)) for a, b in ranges]
    pieces = []
    offsets = np.zeros(NUM_KEYS, dtype=np.int64)
    for a, b in ranges:
        stat = row_stat[a - u0:b - u0]
        sizes = stat.sum(axis=0)
        pieces.append(Piece(int(a), int(b), stat,
                            [c[o:o + s] for c, o, s in zip(cols, offsets, sizes)],
                            [v[o:o + s] for v, o, s in zip(vals, offsets, sizes)]))
        offsets += sizes
    return pieces


class CppEngine:
    name = "cpp"

    def __init__(self, core, g: CSRGraph, wanted: np.ndarray, threads: int, sample: np.ndarray | None = None):
        self.g, self.wanted, self.threads = g, wanted, threads
        self.flags = kernel_flags(wanted)
        rows = None if sample is None else np.ascontiguousarray(sample, dtype=np.int64)
        self.rows = core.OrbitRows(g.indptr, g.indices, wanted, needs_a3(wanted), threads, rows)

    def compute(self, u0: int, u1: int, max_entries: int = -1) -> list[Piece]:
        ranges, row_stat, cols, vals = self.rows.compute(u0, u1, max_entries)
        return _split(ranges, row_stat, cols, vals, u0)

    def row_nnz(self, rows: np.ndarray) -> np.ndarray:
        return self.rows.row_nnz(np.ascontiguousarray(rows, dtype=np.int64))


class NumbaEngine:
    """Per-graph precomputation plus per-thread scratch for the Numba kernel;
    a call runs ``threads`` row ranges of equal estimated work in parallel."""

    name = "numba"

    def __init__(self, g: CSRGraph, wanted: np.ndarray, threads: int):
        from graphrep.orbits import _numba as kernels

        self.kernels = kernels
        self.g, self.wanted, self.threads = g, wanted, threads
        self.flags = kernel_flags(wanted, needs_a3(wanted))
        n = g.num_nodes
        self.deg = g.degrees.astype(np.int64)
        self.t = (kernels.edge_triangle_counts(g.indptr, g.indices, self.deg, max(1, 4 * threads))
                  if self.flags & F_T else np.empty(0, dtype=np.int64))
        self.tri = row_sums(g.indptr, self.t) // 2 if self.flags & F_TRI else np.zeros(n, dtype=np.int64)
        self.d2 = row_sums(g.indptr, self.deg[g.indices]) if self.flags & F_D2 else np.zeros(n, dtype=np.int64)
        self.work = np.cumsum(1 + self.deg + row_sums(g.indptr, self.deg[g.indices]))
        self.scratch = [None] * threads

    def _scratch(self, slot: int):
        """Scratch of the ``slot``-th of the ranges a call runs at once."""
        scratch = self.scratch[slot]
        if scratch is None:
            n = self.g.num_nodes
            acc = np.zeros((n, 8), dtype=np.int64)
            acc[:, 6] = -1
            scratch = [acc, np.zeros(n, dtype=np.uint8), np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
                       np.zeros(1, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
                       np.empty(0, dtype=np.int8)]
            self.scratch[slot] = scratch
        return scratch

    def _run(self, slot: int, rows: np.ndarray, mode: int, max_entries: int):
        scratch = self._scratch(slot)
        done, row_stat, cols, vals, *scratch[5:] = self.kernels.orbit_rows(
            rows, self.g.indptr, self.g.indices, self.deg, self.tri, self.d2, self.t, self.wanted, self.flags,
            mode, max_entries, *scratch,
        )
        return done, row_stat, cols, vals

    def _parts(self, u0: int, u1: int) -> list[tuple[int, int]]:
        parts = min(self.threads, u1 - u0)
        if parts <= 1:
            return [(u0, u1)]
        base = self.work[u0 - 1] if u0 else 0
        targets = base + (self.work[u1 - 1] - base) * np.arange(1, parts) / parts
        bounds = np.searchsorted(self.work[u0:u1], targets, side="right") + u0
        edges = np.unique(np.concatenate([[u0], np.clip(bounds, u0 + 1, u1 - 1), [u1]]))
        return list(zip(edges[:-1].tolist(), edges[1:].tolist()))

    @staticmethod
    def _map(function, items):
        """function(slot, item) for each item, at once on as many threads."""
        if len(items) == 1:
            return [function(0, items[0])]
        with ThreadPoolExecutor(len(items)) as pool:
            return list(pool.map(function, range(len(items)), items))

    def compute(self, u0: int, u1: int, max_entries: int = -1) -> list[Piece]:
        parts = self._parts(u0, u1)
        cap = -1 if max_entries < 0 else max(1, max_entries // len(parts))

        def one(slot, part):
            a, b = part
            done, row_stat, cols, vals = self._run(slot, np.arange(a, b, dtype=np.int64), self.kernels.MODE_ENTRIES, cap)
            return Piece(a, a + done, row_stat[:done], list(cols), list(vals))

        return self._map(one, parts)

    def row_nnz(self, rows: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        chunks = np.array_split(rows, max(1, min(self.threads, rows.shape[0])))
        results = self._map(lambda slot, chunk: self._run(slot, chunk, self.kernels.MODE_ROW_NNZ, -1)[1], chunks)
        return np.concatenate(results)


def iterate_pieces(engine, ranges, max_entries_for=None) -> Iterator[Piece]:
    """Runs ``ranges`` (row ranges) through ``engine``, each call capped at
    ``max_entries_for(u0, u1)`` entries (default: no cap); rows a capped call
    did not reach are run next. Pieces come in the order computed."""
    pending = list(reversed(list(ranges)))
    while pending:
        u0, u1 = pending.pop()
        cap = -1 if max_entries_for is None else int(max_entries_for(u0, u1))
        pieces = sorted(engine.compute(u0, u1, cap), key=lambda piece: piece.u0)
        gaps, position = [], u0
        for piece in pieces:
            if piece.u0 > position:
                gaps.append((position, piece.u0))
            position = max(position, piece.u1)
        if position < u1:
            gaps.append((position, u1))
        pending.extend(reversed(gaps))
        # hand each piece over without keeping a reference, so a consumer that
        # drops it frees it before the next call
        pieces.reverse()
        while pieces:
            piece = pieces.pop()
            if piece.u1 > piece.u0:
                yield piece
            del piece


def release_memory() -> None:
    """Returns freed heap memory to the system where the C library can
    (glibc's ``malloc_trim``), so a streamed block's peak is not carried on."""
    global _malloc_trim
    if _malloc_trim is None:
        import ctypes
        import ctypes.util

        try:
            _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim = None


def work_chunks(g: CSRGraph, parts: int, wanted: np.ndarray | None = None) -> list[tuple[int, int]]:
    """Row ranges of roughly equal work (walks of length <= 3 from each row
    when the 3-walk product runs, <= 2 otherwise)."""
    deg = g.degrees
    d2 = row_sums(g.indptr, deg[g.indices])
    cost = 1 + deg + d2
    if wanted is None or wanted[HOP3_KEY]:
        cost = cost + row_sums(g.indptr, d2[g.indices])
    work = np.cumsum(cost.astype(np.float64))
    bounds = np.searchsorted(work, np.linspace(0, work[-1], parts + 1)[1:-1], side="right")
    edges = np.unique(np.concatenate([[0], bounds, [g.num_nodes]]))
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))
