"""Orbit adjacency row blocks as Dask tasks (``pip install graphrep[distributed]``).

:func:`~graphrep.orbits.write_orbit_adjacency` with ``client=`` calls
:func:`run_blocks`: the graph is scattered once to every worker, each row
block is a task that builds (once per worker process) the kernel for the
graph and computes its rows within the worker's memory, writing one shard
per matrix into the output's staging folder, which every worker must reach
(a shared file system, or an fsspec URL). The client then assembles the
matrix files from the shards exactly as on one machine.
"""
from __future__ import annotations

import os
import threading

from graphrep.orbits._engine import iterate_pieces, make_engine, release_memory, wanted_mask
from graphrep.orbits.budget import ENTRY_BYTES, resident_memory, resolve_budget

__all__ = ["run_blocks", "local_client", "connect", "compute_block"]

# The engine this worker process built last: (token, engine, lock).
_WORKER_ENGINE: dict = {}
_WORKER_LOCK = threading.Lock()


def local_client(workers: int, *, threads_per_worker: int = 1):
    """A ``Client`` on a new ``LocalCluster`` of ``workers`` processes."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:
        raise ImportError("--workers and client= need Dask: pip install 'graphrep[distributed]'") from error
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    cluster = LocalCluster(n_workers=workers, threads_per_worker=threads_per_worker, processes=True,
                           dashboard_address=None)
    return Client(cluster)


def connect(address: str):
    """A ``Client`` of the running scheduler at ``address``."""
    try:
        from dask.distributed import Client
    except ImportError as error:
        raise ImportError("--scheduler and client= need Dask: pip install 'graphrep[distributed]'") from error
    return Client(address)


def _engine_for(token: str, graph, selected, backend, num_threads):
    with _WORKER_LOCK:
        cached = _WORKER_ENGINE.get("current")
        if cached is None or cached[0] != token:
            _WORKER_ENGINE.pop("current", None)
            engine = make_engine(graph, wanted_mask(selected), backend=backend, num_threads=num_threads)
            cached = (token, engine, threading.Lock())
            _WORKER_ENGINE["current"] = cached
        return cached[1], cached[2]


def compute_block(graph, token: str, selected, root: str, u0: int, u1: int, backend: str,
                  num_threads: int | None, budget: int | None) -> tuple[int, int, int]:
    """A task: rows ``u0..u1-1`` into shards under ``root``, holding the
    worker process under ``budget`` bytes (default: what it holds plus 80%
    of the memory available); returns ``(u0, u1, entries)``."""
    from graphrep.io import output_filesystem
    from graphrep.orbits.writer import write_shards

    engine, lock = _engine_for(token, graph, selected, backend, num_threads)
    fs, path = output_filesystem(root)
    entries = 0
    with lock:
        budget = resolve_budget(budget)
        max_entries = max(1, (budget - resident_memory()) // ENTRY_BYTES[engine.name])
        for piece in iterate_pieces(engine, [(u0, u1)], lambda a, b: max_entries):
            write_shards(fs, path, piece, selected)
            entries += piece.entries
            del piece
            release_memory()
    return u0, u1, entries


def run_blocks(client, g, selected, root: str, *, backend: str, num_threads: int | None, max_memory,
               guess, block_rows: int | None) -> int:
    """Runs the row blocks of ``g`` on ``client``'s workers; returns the number of blocks."""
    from graphrep.orbits.writer import _row_blocks
    from graphrep.utils import progress

    workers = client.scheduler_info()["workers"]
    if not workers:
        raise RuntimeError("the Dask cluster has no workers")
    # a task holds its worker under max_memory and 60% of the worker's memory limit
    limits = [int(0.6 * info["memory_limit"]) for info in workers.values() if info.get("memory_limit")]
    caps = limits + ([int(max_memory)] if max_memory is not None else [])
    budget = min(caps) if caps else None
    per_block = int(guess.row_entries.sum() / (4 * len(workers))) + 1  # four blocks per worker at least
    if budget is not None:
        per_block = min(per_block, max(1, (budget - guess.base_bytes) // ENTRY_BYTES[guess.backend]))
    ranges = _row_blocks(guess.row_entries, per_block, block_rows)
    graph = client.scatter(g, broadcast=True)
    token = os.urandom(8).hex()
    futures = [client.submit(compute_block, graph, token, list(selected), root, u0, u1, backend, num_threads,
                             budget, key=f"orbit-rows-{token}-{u0}", pure=False) for u0, u1 in ranges]
    from dask.distributed import as_completed

    with progress(total=g.num_nodes, desc="orbit adjacency") as bar:
        for future in as_completed(futures):
            u0, u1, _ = future.result()
            bar.update(u1 - u0)
    return len(ranges)

