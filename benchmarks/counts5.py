"""Five-node orbit count benchmark: graphrep against ORCA (``orca node 5``).

Each graph is written once to a work folder (ORCA's input: first line
``n m``, then one ``u v`` per edge; and the CSR arrays). Every (tool, graph)
runs ``--repeat`` times in a fresh child process; the table shows the median:

* ``orca``: ``orca node 5 IN OUT`` (or ``edge 5``; one thread), wall time of
  the whole process and its peak resident memory;
* ``cpp`` / ``numba``: a child loads the CSR arrays, warms up on a tiny
  graph (so Numba's JIT or cache load is not timed) and times the count
  alone with ``--threads`` threads; peak RSS is the child's (interpreter,
  graph and result), "added" the part the count itself added.

Every graphrep result is compared with ORCA's output.

    python benchmarks/counts5.py                        # email-Eu-core and BA(10k, 4), node counts
    python benchmarks/counts5.py --edges --repeat 1
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # measure the checkout this script is in


def _shared() -> Path:
    data = os.environ.get("GRAPHREP_SHARED_DATA")
    return Path(data).parent if data else REPO.parent / "shared"


def _email():
    from graphrep.datasets import load_graph

    return load_graph("email-eu", _shared() / "data")


def _ba10k():
    import networkx as nx

    return nx.barabasi_albert_graph(10_000, 4, seed=1)


GRAPHS = {
    "email-eu": ("email-Eu-core (shared data)", _email),
    "ba10k": ("barabasi_albert_graph(10000, 4, seed=1)", _ba10k),
}


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def prepare(name: str, folder: Path) -> dict:
    """Writes ORCA's input and the CSR arrays of one graph (in a child, so the
    parent stays small)."""
    from graphrep import as_graph

    g = as_graph(GRAPHS[name][1]())
    edges = g.edge_list()
    with open(folder / f"{name}.in", "w") as handle:
        handle.write(f"{g.num_nodes} {edges.shape[0]}\n")
        np.savetxt(handle, edges, fmt="%d")
    np.savez(folder / f"{name}.npz", indptr=g.indptr, indices=g.indices)
    return {"n": g.num_nodes, "m": g.num_edges, "max_degree": int(g.degrees.max())}


def run_graphrep(name: str, folder: Path, backend: str, threads: int, edges: bool) -> dict:
    from graphrep.graph import CSRGraph
    from graphrep.orbits._counts5 import edge_orbit_counts5, orbit_counts5
    from graphrep.utils import set_quiet

    set_quiet()
    arrays = np.load(folder / f"{name}.npz")
    g = CSRGraph(arrays["indptr"], arrays["indices"], np.arange(arrays["indptr"].shape[0] - 1))
    count = (lambda graph: edge_orbit_counts5(graph, backend=backend, num_threads=threads)[1]) if edges else \
        (lambda graph: orbit_counts5(graph, backend=backend, num_threads=threads))
    count(np.array([[0, 1], [1, 2], [2, 0], [2, 3], [3, 4]]))
    before = _peak_mb()
    start = time.perf_counter()
    result = count(g)
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    np.save(folder / f"{name}.{backend}.npy", result)
    return {"seconds": seconds, "peak_mb": peak, "added_mb": peak - before}


def run_orca(orca: str, name: str, folder: Path, edges: bool) -> dict:
    start = time.perf_counter()
    subprocess.run([orca, "edge" if edges else "node", "5", str(folder / f"{name}.in"),
                    str(folder / f"{name}.orca")], check=True, capture_output=True)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "added_mb": float("nan")}


def _child(args) -> None:
    kind, name, folder = args.child[:3]
    folder = Path(folder)
    if kind == "prepare":
        row = prepare(name, folder)
    elif kind == "orca":
        row = run_orca(args.orca, name, folder, args.edges)
    elif kind == "compare":
        orca = np.loadtxt(folder / f"{name}.orca", dtype=np.int64, ndmin=2)
        row = {"equal": bool(np.array_equal(orca, np.load(folder / f"{name}.{args.child[3]}.npy")))}
    else:
        row = run_graphrep(name, folder, kind, args.threads, args.edges)
    print(json.dumps(row))


def _spawn(args, *child) -> dict:
    command = [sys.executable, __file__, "--child", *child, "--threads", str(args.threads), "--orca", args.orca]
    result = subprocess.run(command + (["--edges"] if args.edges else []), capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(child)} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graphs", nargs="+", choices=list(GRAPHS), default=list(GRAPHS))
    parser.add_argument("--backends", nargs="+", choices=["cpp", "numba"], default=["cpp", "numba"])
    parser.add_argument("--threads", type=int, default=2, help="graphrep's threads (ORCA has one)")
    parser.add_argument("--edges", action="store_true", help="edge orbit counts (orca edge 5)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--orca", default=str(_shared() / "peers" / "orca" / "orca"))
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--rst", help="also write the table as reStructuredText (for the docs)")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args)
        return
    if not os.access(args.orca, os.X_OK):
        parser.error(f"--orca: {args.orca} is not an executable ORCA")
    rows = []
    header = f"{'graph':<10}{'n':>7}{'m':>8}{'tool':>7}{'seconds':>9}{'peak MB':>9}{'added MB':>10}{'speed-up':>10}  same"
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as work:
        for name in args.graphs:
            info = _spawn(args, "prepare", name, work)
            orca_row = None
            for tool in ["orca", *args.backends]:
                runs = [_spawn(args, tool, name, work) for _ in range(args.repeat)]
                row = {"graph": name, "tool": tool, **info,
                       **{key: statistics.median(r[key] for r in runs) for key in ("seconds", "peak_mb", "added_mb")}}
                row["threads"] = 1 if tool == "orca" else args.threads
                if tool == "orca":
                    orca_row = row
                else:
                    row["equal_to_orca"] = _spawn(args, "compare", name, work, tool)["equal"]
                row["speedup"] = orca_row["seconds"] / row["seconds"]
                row["memory_ratio"] = row["peak_mb"] / orca_row["peak_mb"]
                rows.append(row)
                same = "" if tool == "orca" else ("yes" if row["equal_to_orca"] else "NO")
                print(f"{name:<10}{info['n']:>7}{info['m']:>8}{tool:>7}{row['seconds']:>9.2f}{row['peak_mb']:>9.0f}"
                      f"{row['added_mb']:>10.0f}{row['speedup']:>10.1f}  {same}", flush=True)
    machine = (f"{os.cpu_count()} cores, graphrep on {args.threads} threads, ORCA on one, median of {args.repeat}, "
               f"load average {os.getloadavg()[0]:.1f} at the end")
    print(f"\n{machine}")
    if args.rst:
        _write_rst(args.rst, rows, machine, args.edges)
    if args.json:
        from graphrep.utils import write_json

        write_json(args.json, {"rows": rows, "graphs": {k: v[0] for k, v in GRAPHS.items()}, "machine": machine,
                               "mode": "edge 5" if args.edges else "node 5"})


def _write_rst(path: str, rows: list[dict], machine: str, edges: bool) -> None:
    lines = [".. list-table::", "   :header-rows: 1", "",
             "   * - graph", "     - n", "     - m", "     - counter", "     - seconds", "     - peak MB",
             "     - speed-up over ORCA", "     - peak RSS / ORCA's"]
    for row in rows:
        tool = f"ORCA ``{'edge' if edges else 'node'} 5``, 1 thread" if row["tool"] == "orca" else \
            f"graphrep {row['tool']}, {row['threads']} threads"
        cells = [GRAPHS[row["graph"]][0], row["n"], row["m"], tool, f"{row['seconds']:.2f}", f"{row['peak_mb']:.0f}",
                 f"{row['speedup']:.1f}x", f"{row['memory_ratio']:.2f}"]
        lines += [f"   * - {cells[0]}"] + [f"     - {cell}" for cell in cells[1:]]
    lines += ["", f"Measured with ``benchmarks/counts5.py``: {machine}.", ""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
