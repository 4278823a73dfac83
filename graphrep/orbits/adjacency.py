"""``orbit_adjacency``: the public entry point, its backends (C++ when
built, else Numba) and the memory budget check."""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphrep.graph import as_graph
from graphrep.orbits._engine import (
    BACKENDS, iterate_pieces, load_core as _load_core, work_chunks,
)
from graphrep.orbits._matrices import MatrixMapping
from graphrep.orbits.budget import OutputTooLargeError, format_size, resident_memory
from graphrep.orbits.keys import (
    ORBIT_ADJACENCY_KEYS, OrbitKey, key_index, parse_key,
)
from graphrep.orbits.plan import row_sums
from graphrep.utils import progress

__all__ = ["orbit_adjacency", "OrbitAdjacency", "available_backends", "row_sums", "BACKENDS"]


def available_backends() -> list[str]:
    """Backends usable in this installation, fastest first.

    Example:
        >>> "numba" in available_backends()
        True
    """
    return (["cpp"] if _load_core() is not None else []) + ["numba"]


class OrbitAdjacency(MatrixMapping):
    """Read-only mapping from :class:`~graphrep.orbits.keys.OrbitKey` to an
    ``n x n`` ``scipy.sparse.csr_array`` (``int64``), rows and columns in the
    input's node order; ``node_ids[i]`` is the caller's id of row ``i``.

    Keys may also be given as strings such as ``"h2_o1_o1"``.
    """

    def _key(self, key) -> OrbitKey:
        return OrbitKey(*(parse_key(key) if isinstance(key, str) else key))

    def _keys_repr(self) -> str:
        return str(len(self))


def orbit_adjacency(graph: Any, *, backend: str = "auto", keys: Iterable | None = None,
                    num_threads: int | None = None, max_memory: int | str | None = None) -> OrbitAdjacency:
    """The graphlet orbit adjacency matrices of ``graph`` (GRADCO), in memory.

    ``M[(hop, o1, o2)][u, v]`` counts the induced connected graphlets on 2-4
    nodes holding ``u`` on orbit ``o1`` and ``v`` on orbit ``o2`` at distance
    ``hop`` inside the graphlet (Przulj's orbits 0..14). Counts are exact
    and identical between backends.

    The size of the result is estimated first (:func:`~graphrep.orbits.estimate`);
    a result that would not fit ``max_memory`` is refused before any matrix
    is computed. For outputs larger than memory, stream them to disk with
    :func:`~graphrep.orbits.write_orbit_adjacency`.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        backend: ``"cpp"``, ``"numba"`` or ``"auto"`` (C++ when built).
        keys: a subset of :data:`ORBIT_ADJACENCY_KEYS` (tuples or strings
            like ``"h2_o1_o1"``); the work follows the keys (see
            :mod:`graphrep.orbits.plan`): hop-1 keys skip the distance-2
            columns, ``(1,0,0)`` is the adjacency itself, and only
            ``(3,4,4)`` needs the full 3-walk row product.
        num_threads: threads to use (default: all cores, or ``OMP_NUM_THREADS``
            / ``NUMBA_NUM_THREADS``); the result does not depend on it.
        max_memory: bytes (or ``"600M"``, ``"4G"``) the process may hold
            at its peak, what it holds already included; default: what it
            holds now plus 80% of the memory available now.

    Returns:
        An :class:`OrbitAdjacency` mapping.

    Raises:
        OutputTooLargeError: the estimated result exceeds ``max_memory`` (a
            :class:`MemoryError`; the message gives the estimate and the
            ways out).
        MemoryError: the kernel could not allocate memory after all.

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
    from graphrep.orbits.estimate import prepare

    g, selected, budget, engine, guess = prepare(graph, keys, backend=backend, num_threads=num_threads,
                                                 max_memory=max_memory)
    held = resident_memory() + guess.base_bytes - guess.graph_bytes
    if held + guess.bytes_in_memory - guess.base_bytes > budget:
        raise OutputTooLargeError(too_large_message(guess, budget, held))
    return compute_prepared(g, selected, budget, engine, guess, held)


def compute_prepared(g, selected: list[int], budget: int, engine, guess, held: int) -> OrbitAdjacency:
    """The matrices of a computation that ``estimate.prepare`` set up and whose estimate fits ``budget``; ``held``: the bytes held
    before it starts. Stops with :class:`OutputTooLargeError` when the
    output passes ``budget`` after all."""
    n = g.num_nodes
    pieces = []
    chunks = work_chunks(g, 1 if g.num_edges < 2_000 else 32, engine.wanted)
    with progress(total=n, desc="orbit adjacency") as bar:
        for piece in iterate_pieces(engine, chunks):
            held += 16 * piece.entries + piece.row_stat.nbytes
            if held > budget:
                raise OutputTooLargeError(
                    f"orbit adjacency output passed max_memory={format_size(budget)} at row {piece.u1} of {n} "
                    f"(estimated {format_size(guess.bytes_in_memory)} in all); " + WAYS_OUT)
            pieces.append(piece)
            bar.update(piece.u1 - piece.u0)
    pieces.sort(key=lambda piece: piece.u0)
    matrices = {}
    for index in selected:
        # from the pieces' entry counts: no second n x 28 table
        indptr = np.zeros(n + 1, dtype=np.int64)
        for piece in pieces:
            indptr[piece.u0 + 1:piece.u1 + 1] = piece.row_stat[:, index]
        np.cumsum(indptr, out=indptr)
        cols, vals = _gather(pieces, index, int(indptr[-1]))
        matrices[ORBIT_ADJACENCY_KEYS[index]] = sp.csr_array((vals, cols, indptr), shape=(n, n))
    return OrbitAdjacency(matrices, g.node_ids, engine.name)


WAYS_OUT = ("ways out: ask for fewer keys, stream the matrices to disk (write_orbit_adjacency, or "
            "`graphrep orbits ... -o DIR --max-memory SIZE`), or spread the rows over a Dask cluster "
            "(client=..., --scheduler / --workers)")


def too_large_message(guess, budget: int, held: int) -> str:
    return (f"orbit adjacency output too large for memory: about {guess.total_nnz:,} nonzeros in "
            f"{len(guess.nnz)} matrices (at most {sum(guess.nnz_high.values()):,}), "
            f"{format_size(guess.bytes_in_memory - guess.base_bytes)} in memory beside the "
            f"{format_size(held)} the process holds, over max_memory={format_size(budget)}; " + WAYS_OUT)


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
    for piece in pieces:
        size = piece.cols[index].shape[0]
        cols[position:position + size] = piece.cols[index]
        vals[position:position + size] = piece.vals[index]
        piece.cols[index] = piece.vals[index] = None
        position += size
    return cols, vals
