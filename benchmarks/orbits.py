"""Orbit adjacency benchmark: time and peak memory of the 28 matrices.

Each (graph, backend) runs in a fresh child process, after a warm-up call
on a tiny graph (so Numba's JIT or cache load is not timed), and reports
the wall time of ``orbit_adjacency`` alone and the child's peak resident
memory (``ru_maxrss``: the interpreter, the graph and the output) and
how much of it the call added (peak minus the peak before the call).

    python benchmarks/orbits.py                    # all graphs, both backends
    python benchmarks/orbits.py --graphs ba10k --backends cpp
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time

import numpy as np


def ba(n: int, m: int):
    import networkx as nx

    return nx.barabasi_albert_graph(n, m, seed=1)


def grid_with_holes(side: int = 1000, drop: float = 0.1, seed: int = 0) -> np.ndarray:
    """A side x side grid with a random fraction ``drop`` of its edges removed."""
    ids = np.arange(side * side, dtype=np.int64).reshape(side, side)
    edges = np.concatenate([
        np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1),
        np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], axis=1),
    ])
    keep = np.random.default_rng(seed).random(edges.shape[0]) >= drop
    return edges[keep]


def ppi():
    from graphrep.datasets import load_ppi

    root = os.environ.get("GRAPHREP_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
    return load_ppi(root)


GRAPHS = {
    "ba10k": ("barabasi_albert_graph(10000, 4, seed=1)", lambda: ba(10_000, 4)),
    "ppi": ("node2vec PPI (shared data)", ppi),
    "ba20k": ("barabasi_albert_graph(20000, 5, seed=1)", lambda: ba(20_000, 5)),
    "grid1m": ("1000 x 1000 grid, 10% of edges removed (seed 0)", grid_with_holes),
}


def child(graph_name: str, backend: str) -> dict:
    from graphrep import as_graph
    from graphrep.orbits import orbit_adjacency
    from graphrep.utils import set_quiet

    set_quiet()
    graph = as_graph(GRAPHS[graph_name][1]())
    orbit_adjacency(np.array([[0, 1], [1, 2], [2, 0], [2, 3]]), backend=backend)
    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    matrices = orbit_adjacency(graph, backend=backend)
    seconds = time.perf_counter() - start
    nnz = sum(matrix.nnz for matrix in matrices.values())
    return {
        "graph": graph_name, "n": graph.num_nodes, "m": graph.num_edges, "nnz": nnz,
        "backend": matrices.backend, "seconds": seconds,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "before_mb": before_mb,
        "output_mb": sum(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in matrices.values()) / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graphs", nargs="+", choices=list(GRAPHS), default=list(GRAPHS))
    parser.add_argument("--backends", nargs="+", choices=["cpp", "numba"], default=["cpp", "numba"])
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--rst", help="also write the table as reStructuredText (for the docs)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    rows = []
    header = (f"{'graph':<8}{'n':>9}{'m':>10}{'output nnz':>13}{'backend':>9}{'seconds':>9}{'peak MB':>9}"
              f"{'added MB':>10}{'output MB':>11}")
    print(header)
    print("-" * len(header))
    for graph_name in args.graphs:
        for backend in args.backends:
            result = subprocess.run([sys.executable, __file__, "--child", graph_name, backend],
                                    capture_output=True, text=True)
            if result.returncode != 0:
                print(f"{graph_name:<8} {backend}: failed\n{result.stderr[-2000:]}")
                continue
            row = json.loads(result.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(f"{row['graph']:<8}{row['n']:>9}{row['m']:>10}{row['nnz']:>13}{row['backend']:>9}"
                  f"{row['seconds']:>9.2f}{row['peak_mb']:>9.0f}{row['peak_mb'] - row['before_mb']:>10.0f}"
                  f"{row['output_mb']:>11.0f}", flush=True)
    machine = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end"
    print(f"\n{machine}")
    if args.rst:
        _write_rst(args.rst, rows, machine)
    if args.json:
        from graphrep.utils import write_json

        write_json(args.json, {"rows": rows, "graphs": {k: v[0] for k, v in GRAPHS.items()}})


def _write_rst(path: str, rows: list[dict], machine: str) -> None:
    lines = [".. list-table::", "   :header-rows: 1", "",
             "   * - graph", "     - n", "     - m", "     - output nnz", "     - backend",
             "     - seconds", "     - peak MB", "     - added MB", "     - output MB"]
    for row in rows:
        cells = [GRAPHS[row["graph"]][0], row["n"], row["m"], row["nnz"], row["backend"],
                 f"{row['seconds']:.2f}", f"{row['peak_mb']:.0f}", f"{row['peak_mb'] - row['before_mb']:.0f}",
                 f"{row['output_mb']:.0f}"]
        lines += [f"   * - {cells[0]}"] + [f"     - {cell}" for cell in cells[1:]]
    lines += ["", f"Measured with graphrep's own benchmark: {machine}.", ""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
