"""Orbit adjacency matrices written to a folder, in memory-bounded row
blocks, on one machine or a Dask cluster, and read back.

Layout of the output folder (the same whichever way it was computed)::

    h{hop}_o{o1}_o{o2}.npz | .mtx    one file per matrix (npz: scipy.sparse.save_npz,
                                     byte for byte; mtx: MatrixMarket coordinate integer)
    orbit_adjacency.tsv              format tsv: one file, "u v hop o1 o2 count" with node ids
    nodes.txt                        row index -> node id
    orbit_counts.tsv                 with counts=True
    manifest.json                    graphrep_version, input, sizes, keys, nnz, run facts

Rows are computed in blocks; each finished block is written at once as one
shard per matrix into a hidden ``.shards`` folder of the staging folder, and
each matrix file is then assembled from its shards in row order, one shard
in memory at a time, and its shards deleted. When the estimated output fits
the budget, the blocks stay in memory and no shards are written. The folder
is staged beside the target and renamed into place at the end, so it
appears complete or not at all.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import threading
import time
import uuid
import zipfile
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np
import scipy.sparse as sp

import graphrep
from graphrep.graph import CSRGraph
from graphrep.io import local_path, output_filesystem
from graphrep.orbits._engine import iterate_pieces, release_memory, work_chunks
from graphrep.orbits.budget import ENTRY_BYTES, ROW_BYTES, OutputTooLargeError, format_size, resident_memory
from graphrep.orbits.keys import (
    GRAPHLET_OF_ORBIT, GRAPHLET_SIZE, NUM_ORBITS, ORBIT_ADJACENCY_KEYS, OrbitKey, format_key, parse_key,
)
from graphrep.orbits.plan import RowBounds
from graphrep.utils import progress

__all__ = ["write_orbit_adjacency", "load_orbit_adjacency", "FORMATS", "InsufficientDiskSpaceError"]

FORMATS = ("npz", "mtx", "tsv")
SHARDS = ".shards"
TSV_NAME = "orbit_adjacency.tsv"


class InsufficientDiskSpaceError(OSError):
    """The estimated output does not fit the free space of the output's file system."""


def write_orbit_adjacency(graph: Any, out_dir: str | os.PathLike, *, keys: Iterable | None = None,
                          format: str = "npz", max_memory: int | str | None = None, block_rows: int | None = None,
                          client=None, backend: str = "auto", num_threads: int | None = None,
                          overwrite: bool = False, counts: bool = False, source: str | None = None) -> dict:
    """Computes the orbit adjacency matrices of ``graph`` and writes them to
    the folder ``out_dir``, holding at most ``max_memory`` whatever the
    output size.

    The output is estimated first (:func:`~graphrep.orbits.estimate`); rows
    are computed in blocks sized from the estimate and the budget, and the
    kernel stops a block early if it reaches its share of the budget, so the
    memory bound holds even where the estimate is low. A result that fits
    the budget is held in memory and written once.

    Args:
        graph: any input :func:`graphrep.as_graph` accepts.
        out_dir: the folder to create: a path or an fsspec URL
            (``file:///data/out``, ``s3://bucket/out``); with ``client``,
            one every worker can reach (a shared file system, or a URL).
        keys: a subset of the 28 keys (default: all).
        format: ``"npz"`` (one ``scipy.sparse.save_npz`` file per matrix),
            ``"mtx"`` (MatrixMarket) or ``"tsv"`` (one long table).
        max_memory: bytes or ``"600M"``/``"4G"``: the resident memory of
            the process at its peak (default: what it holds now plus 80% of
            the memory available now); with ``client``, per worker process
            (and at most 60% of each worker's memory limit).
        block_rows: rows per block (default: from the estimate and budget).
        client: a ``dask.distributed.Client``: blocks become tasks on its
            workers, the graph is scattered once, each task writes its
            shards; the files are identical to a single-machine run's.
        backend, num_threads: as for :func:`~graphrep.orbits.orbit_adjacency`.
        overwrite: replace an existing ``out_dir``.
        counts: also write ``orbit_counts.tsv`` (15 orbit counts per node).
        source: a description of the input for ``manifest.json``.

    Returns:
        The manifest (also written to ``manifest.json``).

    Raises:
        OutputTooLargeError: not even one row block fits ``max_memory``.
        InsufficientDiskSpaceError: the estimated files exceed the free space.
        FileExistsError: ``out_dir`` exists and ``overwrite`` is false.

    Example:
        >>> import tempfile, networkx as nx
        >>> with tempfile.TemporaryDirectory() as d:
        ...     manifest = write_orbit_adjacency(nx.petersen_graph(), d + "/out", keys=["h2_o1_o1"])
        ...     int(load_orbit_adjacency(d + "/out", "h2_o1_o1").sum())
        60
    """
    from graphrep.orbits.estimate import prepare

    if format not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {format!r}")
    if block_rows is not None and (not isinstance(block_rows, int) or block_rows < 1):
        raise ValueError(f"block_rows must be a positive int, got {block_rows!r}")
    g, selected, budget, engine, guess = prepare(graph, keys, backend=backend, num_threads=num_threads,
                                                 max_memory=max_memory)
    _check_target(out_dir, overwrite)
    _check_disk(out_dir, guess.bytes_on_disk[format])
    n = g.num_nodes
    all_keys = len(selected) == len(ORBIT_ADJACENCY_KEYS)
    extra = 8 * (n + 1) + (NUM_ORBITS * 8 * n if counts else 0)  # indptr of one matrix, the counts
    reserve = engine.threads * ENTRY_BYTES[engine.name] * int(RowBounds(g).entries(selected).max(initial=0))
    held = resident_memory() + guess.base_bytes - guess.graph_bytes + extra + reserve
    room = budget - held
    if room < ENTRY_BYTES[engine.name] * max(1, int(guess.row_entries.max(initial=0))) + ROW_BYTES:
        raise OutputTooLargeError(
            f"max_memory={format_size(budget)} is too small to compute even one row block of the orbit "
            f"adjacency: the process, the graph, the kernel's arrays and {engine.threads} threads' scratch "
            f"hold {format_size(held)}; give more memory, fewer threads (num_threads / OMP_NUM_THREADS), "
            "or a cluster")
    in_memory = client is None and block_rows is None and guess.bytes_in_memory - guess.base_bytes <= room
    cap = max(1, room // ENTRY_BYTES[engine.name])
    compute_started = time.perf_counter()
    with _staging(out_dir, overwrite) as (fs, root):
        if client is not None:
            from graphrep.orbits.distributed import run_blocks

            shared_root = fs.unstrip_protocol(root) if _is_url(out_dir) else root
            blocks = run_blocks(client, g, selected, shared_root, backend=backend, num_threads=num_threads,
                                max_memory=budget if max_memory is not None else None, guess=guess,
                                block_rows=block_rows)
            sources = {index: _ShardSource(fs, root, index) for index in selected}
        elif in_memory:
            pieces = []
            with progress(total=n, desc="orbit adjacency") as bar:
                for piece in iterate_pieces(engine, work_chunks(g, 1 if g.num_edges < 2_000 else 32,
                                                                engine.wanted)):
                    pieces.append(piece)
                    bar.update(piece.u1 - piece.u0)
            pieces.sort(key=lambda piece: piece.u0)
            blocks = len(pieces)
            sources = {index: _MemorySource(pieces, index) for index in selected}
        else:
            ranges = _row_blocks(guess.row_entries, cap, block_rows)
            blocks = 0
            with progress(total=n, desc="orbit adjacency") as bar:
                for piece in iterate_pieces(engine, ranges, lambda u0, u1: cap):
                    write_shards(fs, root, piece, selected)
                    blocks += 1
                    bar.update(piece.u1 - piece.u0)
                    del piece
                    release_memory()
            sources = {index: _ShardSource(fs, root, index) for index in selected}
        seconds = time.perf_counter() - compute_started
        orbit_counts = np.zeros((n, NUM_ORBITS), dtype=np.int64) if counts and all_keys else None
        nnz = _write_matrices(fs, root, g, selected, sources, format, orbit_counts, engine.threads)
        if fs.exists(f"{root}/{SHARDS}"):
            fs.rm(f"{root}/{SHARDS}", recursive=True)
        _write_nodes(fs, root, g.node_ids)
        if counts:
            if orbit_counts is None:
                from graphrep.orbits.counts import orbit_counts as count_orbits

                per_node = count_orbits(g, backend=backend, num_threads=num_threads)
            else:
                others = np.array([GRAPHLET_SIZE[GRAPHLET_OF_ORBIT[o]] - 1 for o in range(NUM_ORBITS)])
                per_node = orbit_counts // others
            _write_counts(fs, root, g.node_ids, per_node)
        manifest = {
            "graphrep_version": graphrep.__version__,
            "input": source,
            "num_nodes": n,
            "num_edges": g.num_edges,
            "backend": engine.name,
            "seconds": round(time.perf_counter() - compute_started, 4),
            "compute_seconds": round(seconds, 4),
            "format": format,
            "keys": [list(ORBIT_ADJACENCY_KEYS[i]) for i in selected],
            "nnz": {format_key(ORBIT_ADJACENCY_KEYS[i]): int(nnz[i]) for i in selected},
            "streamed": not in_memory,
            "row_blocks": int(blocks),
            "max_memory": int(budget),
            "estimate": {"nnz": int(guess.total_nnz), "bytes_in_memory": int(guess.bytes_in_memory),
                         "bytes_on_disk": int(guess.bytes_on_disk[format])},
            "workers": len(client.scheduler_info()["workers"]) if client is not None else None,
        }
        with fs.open(f"{root}/manifest.json", "w") as handle:
            handle.write(json.dumps(manifest, indent=2) + "\n")
    return manifest


def load_orbit_adjacency(out_dir: str | os.PathLike, key) -> sp.csr_array:
    """One matrix of a folder written by :func:`write_orbit_adjacency` (or
    ``graphrep orbits``), whatever its format, as an ``int64`` ``csr_array``.

    Example:
        >>> import tempfile, networkx as nx
        >>> with tempfile.TemporaryDirectory() as d:
        ...     _ = write_orbit_adjacency(nx.path_graph(4), d + "/out", format="tsv")
        ...     load_orbit_adjacency(d + "/out", (3, 4, 4)).toarray()[0].tolist()
        [0, 0, 0, 1]
    """
    fs, root = output_filesystem(out_dir)
    key = parse_key(key) if isinstance(key, str) else OrbitKey(*key)
    with fs.open(f"{root}/manifest.json") as handle:
        manifest = json.load(handle)
    if list(key) not in manifest["keys"]:
        raise KeyError(f"{format_key(key)} is not in {out_dir} (it holds {len(manifest['keys'])} matrices)")
    n, fmt = manifest["num_nodes"], manifest["format"]
    if fmt == "npz":
        with fs.open(f"{root}/{format_key(key)}.npz") as handle:
            matrix = sp.load_npz(handle)
    elif fmt == "mtx":
        import scipy.io

        with fs.open(f"{root}/{format_key(key)}.mtx") as handle:
            matrix = scipy.io.mmread(handle)
    else:
        matrix = _read_tsv_key(fs, root, key, n)
    matrix = sp.csr_array(matrix, dtype=np.int64)
    matrix.indices = matrix.indices.astype(np.int64, copy=False)
    matrix.indptr = matrix.indptr.astype(np.int64, copy=False)
    return matrix


# ---- where the files go ------------------------------------------------------

def _is_url(target) -> bool:
    """Whether ``target`` is a URL of a file system other than the local one."""
    return local_path(target) is None


def _check_target(target, overwrite: bool) -> None:
    fs, path = output_filesystem(target)
    if fs.exists(path) and not overwrite:
        raise FileExistsError(f"output folder already exists: {target} (use --overwrite)")


def _check_disk(target, needed: int) -> None:
    if _is_url(target):
        return
    _, path = output_filesystem(target)
    existing = Path(path)
    while not existing.exists():
        existing = existing.parent
    free = shutil.disk_usage(existing).free
    if needed > free:
        raise InsufficientDiskSpaceError(
            f"the orbit adjacency output needs about {format_size(needed)} on disk while it is written, but "
            f"{existing} has {format_size(free)} free; ask for fewer keys, use format npz, or write elsewhere")


@contextlib.contextmanager
def _staging(target, overwrite: bool) -> Iterator[tuple[Any, str]]:
    """(filesystem, staging root) that becomes ``target`` when the block ends
    without error and is removed otherwise."""
    if not _is_url(target):
        from graphrep.io import atomic_directory

        fs, path = output_filesystem(target)
        with atomic_directory(path, overwrite=overwrite) as folder:
            yield fs, str(folder)
        return
    fs, path = output_filesystem(target)
    staging = f"{path}.{uuid.uuid4().hex[:12]}.partial"
    fs.makedirs(staging, exist_ok=True)
    try:
        yield fs, staging
    except BaseException:
        fs.rm(staging, recursive=True)
        raise
    if fs.exists(path):
        fs.rm(path, recursive=True)
    fs.mv(staging, path, recursive=True)


# ---- row blocks and shards ---------------------------------------------------

def _row_blocks(row_entries: np.ndarray, cap: int, block_rows: int | None) -> list[tuple[int, int]]:
    """Row ranges of about ``cap`` expected entries (or ``block_rows`` rows)."""
    n = row_entries.shape[0]
    if block_rows is not None:
        return [(u0, min(n, u0 + block_rows)) for u0 in range(0, n, block_rows)]
    total = np.cumsum(row_entries)
    cuts = np.searchsorted(total, np.arange(cap, total[-1] if n else 0, cap), side="right") if n else []
    edges = np.unique(np.concatenate([[0], np.clip(cuts, 1, n), [n]])).astype(np.int64)
    return list(zip(edges[:-1].tolist(), edges[1:].tolist()))


def shard_path(root: str, index: int, u0: int, u1: int, field: str) -> str:
    return f"{root}/{SHARDS}/{format_key(ORBIT_ADJACENCY_KEYS[index])}/{u0:012d}-{u1:012d}.{field}.npy"


def write_shards(fs, root: str, piece, selected) -> None:
    """Per key, three ``.npy`` files: entry counts per row, columns, values."""
    for index in selected:
        arrays = {"counts": np.ascontiguousarray(piece.row_stat[:, index]), "cols": piece.cols[index],
                  "vals": piece.vals[index]}
        for field, array in arrays.items():
            path = shard_path(root, index, piece.u0, piece.u1, field)
            fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            with fs.open(path, "wb") as handle:
                np.save(handle, array)


# Entries handed to a file writer at a time (8 MB per int64 field).
CHUNK = 1 << 20


class _MemorySource:
    """One key's blocks held in memory, in row order."""

    def __init__(self, pieces, index: int):
        self.pieces, self.index = pieces, index

    def counts(self):
        for piece in self.pieces:
            yield piece.u0, piece.u1, piece.row_stat[:, self.index]

    def entries(self, fields: tuple[str, ...]):
        for piece in self.pieces:
            arrays = [{"cols": piece.cols, "vals": piece.vals}[f][self.index] for f in fields]
            for start in range(0, arrays[0].shape[0], CHUNK):
                yield [array[start:start + CHUNK] for array in arrays]

    def release(self) -> None:
        for piece in self.pieces:
            piece.cols[self.index] = piece.vals[self.index] = None


class _ShardSource:
    """One key's shards, read in row order a chunk at a time."""

    def __init__(self, fs, root: str, index: int):
        self.fs, self.root, self.index = fs, root, index
        self.folder = shard_path(root, index, 0, 0, "x").rsplit("/", 1)[0]

    def _ranges(self):
        if not self.fs.exists(self.folder):
            return []
        names = {path.rsplit("/", 1)[1] for path in self.fs.ls(self.folder, detail=False)}
        return sorted({(int(name[:12]), int(name[13:25])) for name in names if name.endswith(".counts.npy")})

    def counts(self):
        for u0, u1 in self._ranges():
            with self.fs.open(shard_path(self.root, self.index, u0, u1, "counts"), "rb") as handle:
                yield u0, u1, np.load(handle)

    def entries(self, fields: tuple[str, ...]):
        from numpy.lib import format as npy

        for u0, u1 in self._ranges():
            with contextlib.ExitStack() as stack:
                handles, total = [], 0
                for field in fields:
                    handle = stack.enter_context(self.fs.open(shard_path(self.root, self.index, u0, u1, field), "rb"))
                    npy.read_magic(handle)
                    total = npy.read_array_header_1_0(handle)[0][0]
                    handles.append(handle)
                for start in range(0, total, CHUNK):
                    size = min(CHUNK, total - start)
                    yield [np.frombuffer(handle.read(8 * size), dtype=np.int64) for handle in handles]

    def release(self) -> None:
        if self.fs.exists(self.folder):
            self.fs.rm(self.folder, recursive=True)


def _row_pointer(source, n: int) -> np.ndarray:
    """The key's ``indptr``; checks that its blocks tile rows ``0..n-1``."""
    indptr = np.zeros(n + 1, dtype=np.int64)
    position = 0
    for u0, u1, counts in source.counts():
        if u0 != position:
            raise RuntimeError(f"orbit adjacency rows {position}..{u0 - 1} are missing from the computed blocks")
        indptr[u0 + 1:u1 + 1] = counts
        position = u1
    if position != n:
        raise RuntimeError(f"orbit adjacency rows {position}..{n - 1} are missing from the computed blocks")
    np.cumsum(indptr, out=indptr)
    return indptr


def _with_rows(source, indptr: np.ndarray, fields: tuple[str, ...]):
    """``(rows, *fields)`` chunks of a key's entries, in order."""
    position = 0
    for arrays in source.entries(fields):
        size = arrays[0].shape[0]
        rows = np.searchsorted(indptr, np.arange(position, position + size), side="right") - 1
        position += size
        yield [rows] + arrays


# ---- the files ---------------------------------------------------------------

def _write_matrices(fs, root: str, g: CSRGraph, selected, sources, fmt: str, orbit_counts, threads: int):
    """Writes every key's file (``threads`` npz/mtx files at once: deflate
    and formatting release the GIL); returns key index -> nonzeros."""
    from concurrent.futures import ThreadPoolExecutor

    n = g.num_nodes
    counting = threading.Lock()  # keys with one o1 add to the same column

    def one(index: int) -> int:
        source = sources[index]
        key = ORBIT_ADJACENCY_KEYS[index]
        indptr = _row_pointer(source, n)
        stem = f"{root}/{format_key(key)}"
        if fmt == "npz":
            with fs.open(f"{stem}.npz", "wb") as handle:
                _write_npz(handle, source, indptr, n)
        elif fmt == "mtx":
            with fs.open(f"{stem}.mtx", "w") as handle:
                _write_mtx(handle, source, indptr, n, key)
        else:
            _write_tsv(tsv, source, indptr, key, g.node_ids)
        if orbit_counts is not None:
            for rows, vals in _with_rows(source, indptr, ("vals",)):
                if rows.shape[0]:
                    starts = np.concatenate([[0], np.flatnonzero(np.diff(rows)) + 1])
                    sums = np.add.reduceat(vals, starts)
                    with counting:
                        orbit_counts[rows[starts], key.o1] += sums
        source.release()
        return int(indptr[-1])

    tsv = fs.open(f"{root}/{TSV_NAME}", "w") if fmt == "tsv" else None
    try:
        bar = progress(total=len(selected), desc="writing")
        if tsv is not None:
            tsv.write("u\tv\thop\to1\to2\tcount\n")
            nnz = {}
            for index in selected:
                nnz[index] = one(index)
                bar.update(1)
        else:
            with ThreadPoolExecutor(max(1, min(threads, len(selected)))) as pool:
                futures = {index: pool.submit(one, index) for index in selected}
                nnz = {}
                for index, future in futures.items():
                    nnz[index] = future.result()
                    bar.update(1)
        bar.close()
    finally:
        if tsv is not None:
            tsv.close()
    return nnz


def _write_npz(handle, source, indptr: np.ndarray, n: int) -> None:
    """The bytes ``scipy.sparse.save_npz`` writes for this ``csr_array``
    (int64 indices), streamed a chunk at a time: deflate output does not
    depend on how its input is split."""
    from numpy.lib import format as npy

    total = int(indptr[-1])
    header = {"descr": npy.dtype_to_descr(np.dtype(np.int64)), "fortran_order": False, "shape": (total,)}
    with zipfile.ZipFile(handle, mode="w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for name, field in (("indices", "cols"), ("indptr", None), ("format", None), ("shape", None),
                            ("data", "vals"), ("_is_array", None)):
            with archive.open(name + ".npy", "w", force_zip64=True) as member:
                if field is None:
                    small = {"indptr": indptr, "format": np.asanyarray(b"csr"), "shape": np.asanyarray((n, n)),
                             "_is_array": np.asanyarray(True)}[name]
                    npy.write_array(member, small, allow_pickle=True)
                    continue
                npy.write_array_header_1_0(member, header)
                for (array,) in source.entries((field,)):
                    member.write(np.ascontiguousarray(array, dtype=np.int64).data)


def _write_mtx(handle, source, indptr: np.ndarray, n: int, key: OrbitKey) -> None:
    handle.write("%%MatrixMarket matrix coordinate integer general\n")
    handle.write(f"% graphrep orbit adjacency {format_key(key)}\n{n} {n} {int(indptr[-1])}\n")
    for rows, cols, vals in _with_rows(source, indptr, ("cols", "vals")):
        if cols.shape[0]:
            np.savetxt(handle, np.column_stack([rows + 1, cols + 1, vals]), fmt="%d")


def _write_tsv(handle, source, indptr: np.ndarray, key: OrbitKey, ids: np.ndarray) -> None:
    suffix = "\t".join(str(part) for part in key)
    for rows, cols, vals in _with_rows(source, indptr, ("cols", "vals")):
        if not cols.shape[0]:
            continue
        if ids.dtype == object:
            table = np.column_stack([ids[rows].astype(str), ids[cols].astype(str), vals.astype(str)])
            np.savetxt(handle, table, fmt=f"%s\t%s\t{suffix}\t%s")
        else:
            table = np.column_stack([ids[rows], ids[cols], vals])
            np.savetxt(handle, table, fmt=f"%d\t%d\t{suffix}\t%d")


def _write_nodes(fs, root: str, ids: np.ndarray) -> None:
    with fs.open(f"{root}/nodes.txt", "w") as handle:
        np.savetxt(handle, np.column_stack([np.arange(len(ids)), ids]).astype(str), fmt="%s", delimiter="\t")


def _write_counts(fs, root: str, ids: np.ndarray, counts: np.ndarray) -> None:
    header = "node\t" + "\t".join(f"o{o}" for o in range(NUM_ORBITS))
    with fs.open(f"{root}/orbit_counts.tsv", "w") as handle:
        table = np.column_stack([ids.astype(str), counts.astype(str)])
        np.savetxt(handle, table, fmt="%s", delimiter="\t", header=header, comments="")


def _read_tsv_key(fs, root: str, key: OrbitKey, n: int) -> sp.csr_array:
    import pandas as pd

    with fs.open(f"{root}/nodes.txt") as handle:
        ids = pd.read_csv(handle, sep="\t", header=None, dtype=str, keep_default_na=False)[1]
    position = {node: i for i, node in enumerate(ids)}
    rows, cols, vals = [], [], []
    with fs.open(f"{root}/{TSV_NAME}") as handle:
        for chunk in pd.read_csv(handle, sep="\t", dtype=str, keep_default_na=False, chunksize=1_000_000):
            chosen = chunk[(chunk.hop == str(key.hop)) & (chunk.o1 == str(key.o1)) & (chunk.o2 == str(key.o2))]
            rows.append(chosen.u.map(position).to_numpy(dtype=np.int64))
            cols.append(chosen.v.map(position).to_numpy(dtype=np.int64))
            vals.append(chosen["count"].to_numpy(dtype=np.int64))
    coo = sp.coo_array((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return sp.csr_array(coo)
