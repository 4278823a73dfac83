"""Orbit count benchmark: graphrep's node (or edge) orbit counts of the
graphlets on up to 4 (or 5) nodes against ORCA.

Each graph is written once to a work folder: ORCA's input (first line
``n m``, then one ``u v`` per edge), the same edges as a plain edge list for
graphrep's reader, and the CSR arrays. Then every (tool, graph) runs
``--repeat`` times, each in a fresh child process, and the table shows the
median:

* ``orca``: ``orca node 4 IN OUT`` (``edge`` with ``--edges``, ``5`` with
  ``--graphlet-size 5``; one thread), wall time of the whole
  process (reading its input, counting, writing its output) and its peak
  resident memory;
* ``cpp`` / ``numba``: a child loads the CSR arrays into a ``CSRGraph``,
  warms up on a tiny graph (so Numba's JIT or cache load is not timed) and
  times ``orbit_counts(graph, graphlet_size=..., num_threads=--threads)``
  alone; peak RSS is
  the child's (interpreter, graph and result);
* ``cpp e2e`` / ``numba e2e``: the same, but timed from the edge-list file
  to the written TSV (``as_graph(path)``, counting, writing with node ids,
  as ``graphrep counts`` does), the work ORCA's wall time covers.

The counts of every graphrep run are compared with ORCA's output. Graphs
are built and results compared in child processes too: a child's peak RSS
(``ru_maxrss``) starts at its parent's size at fork, so the parent stays small.

The default graphs are BA(10k,4), BA(100k,5), the grid and the dense graph
for graphlets on up to 4 nodes, email-Eu-core and BA(10k,4) for 5.

    python benchmarks/counts.py                         # all graphs, node counts
    python benchmarks/counts.py --graphs ba10k grid --edges --repeat 1
    python benchmarks/counts.py --graphlet-size 5       # email-Eu-core and BA(10k,4), orca node 5
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

from orbits import grid_with_holes  # benchmarks/orbits.py, beside this script

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # measure the checkout this script is in


def _shared() -> Path:
    """The read-only shared folder: the parent of $GRAPHREP_SHARED_DATA, else
    ../shared beside the checkout."""
    data = os.environ.get("GRAPHREP_SHARED_DATA")
    return Path(data).parent if data else REPO.parent / "shared"


def _ba(n: int, m: int):
    import networkx as nx

    return nx.barabasi_albert_graph(n, m, seed=1)


def _dense(data_root: Path):
    """ogbl-ddi's training graph when the data root has it, else G(3000, 0.1)."""
    from graphrep.datasets import DatasetNotFoundError, load_graph

    try:
        return load_graph("ogbl-ddi", data_root), "ogbl-ddi (training edges)"
    except (DatasetNotFoundError, FileNotFoundError, OSError):
        import networkx as nx

        return nx.fast_gnp_random_graph(3000, 0.1, seed=0), "G(3000, 0.1), seed 0 (ogbl-ddi absent)"


GRAPHS = {
    "email-eu": "email-Eu-core (shared data)",
    "ba10k": "barabasi_albert_graph(10000, 4, seed=1)",
    "ba100k": "barabasi_albert_graph(100000, 5, seed=1)",
    "grid": "1000 x 1000 grid, 10% of edges removed (seed 0)",
    "dense": "ogbl-ddi, or G(3000, 0.1) when absent",
}
DEFAULT_GRAPHS = {4: ["ba10k", "ba100k", "grid", "dense"], 5: ["email-eu", "ba10k"]}


def prepare(name: str, folder: Path, data_root: Path) -> dict:
    """Writes the graph's files once; returns its description."""
    from graphrep import as_graph

    meta_path = folder / f"{name}.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    label = GRAPHS[name]
    if name == "ba10k":
        source = _ba(10_000, 4)
    elif name == "ba100k":
        source = _ba(100_000, 5)
    elif name == "grid":
        source = grid_with_holes()
    elif name == "email-eu":
        from graphrep.datasets import load_graph

        source = load_graph("email-eu", data_root)
    else:
        source, label = _dense(data_root)
    graph = as_graph(source, num_nodes=1_000_000) if name == "grid" else as_graph(source)
    edges = graph.edge_list()
    np.save(folder / f"{name}.indptr.npy", graph.indptr)
    np.save(folder / f"{name}.indices.npy", graph.indices)
    with open(folder / f"{name}.orca", "w") as handle:
        handle.write(f"{graph.num_nodes} {edges.shape[0]}\n")
        np.savetxt(handle, edges, fmt="%d")
    np.savetxt(folder / f"{name}.tsv", edges, fmt="%d", delimiter="\t")
    meta = {"graph": name, "label": label, "n": graph.num_nodes, "m": graph.num_edges}
    meta_path.write_text(json.dumps(meta))
    return meta


def run_orca(orca: Path, folder: Path, name: str, mode: str, size: int) -> dict:
    target = folder / f"{name}.{mode}{size}.orca-out"
    start = time.perf_counter()
    process = subprocess.Popen([str(orca), mode, str(size), str(folder / f"{name}.orca"), str(target)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"ORCA failed on {name}: {process.stderr.read().decode()[-500:]}")
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024}


def same_as_orca(folder: Path, name: str, mode: str, size: int, backend: str, kind: str, n: int) -> bool:
    orca_out = np.loadtxt(folder / f"{name}.{mode}{size}.orca-out", dtype=np.int64, ndmin=2)
    ours = np.load(folder / f"{name}.{mode}{size}.{backend}.{kind}.npy")
    if mode == "node":
        # the edge list has no isolated nodes: place rows by node id
        placed = np.zeros((n, ours.shape[1]), dtype=np.int64)
        placed[np.load(folder / f"{name}.{mode}{size}.{backend}.{kind}.ids.npy")] = ours
        ours = placed
    return bool(np.array_equal(ours, orca_out))


def child(kind: str, folder: str, name: str, backend: str, threads: int, mode: str, size: int) -> dict:
    """One timed graphrep run (in a fresh process)."""
    from graphrep import as_graph
    from graphrep.graph import CSRGraph
    from graphrep.orbits import edge_orbit_counts, orbit_counts
    from graphrep.orbits.counts_cli import _write_tsv
    from graphrep.utils import set_quiet

    set_quiet()
    folder = Path(folder)
    counter = edge_orbit_counts if mode == "edge" else orbit_counts

    def count(graph):
        return counter(graph, graphlet_size=size, backend=backend, num_threads=threads)

    count(np.array([[0, 1], [1, 2], [2, 0], [2, 3]]))
    if kind == "count":
        indptr = np.load(folder / f"{name}.indptr.npy")
        graph = CSRGraph(indptr, np.load(folder / f"{name}.indices.npy"), np.arange(indptr.shape[0] - 1))
        start = time.perf_counter()
        result = count(graph)
        seconds = time.perf_counter() - start
    else:
        start = time.perf_counter()
        graph = as_graph(folder / f"{name}.tsv")
        result = count(graph)
        if mode == "edge":
            edges, values = result
            labels = [graph.node_ids[edges[:, 0]], graph.node_ids[edges[:, 1]]]
        else:
            values, labels = result, [graph.node_ids]
        header = [f"c{i}" for i in range(len(labels) + values.shape[1])]
        _write_tsv(folder / f"{name}.{mode}{size}.{backend}.tsv", header, labels, values, "%d")
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    values = result[1] if mode == "edge" else result
    np.save(folder / f"{name}.{mode}{size}.{backend}.{kind}.npy", values)
    np.save(folder / f"{name}.{mode}{size}.{backend}.{kind}.ids.npy", graph.node_ids)
    return {"seconds": seconds, "peak_mb": peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graphs", nargs="+", choices=list(GRAPHS),
                        help="default: " + "; ".join(f"{' '.join(names)} for graphlet size {size}"
                                                     for size, names in DEFAULT_GRAPHS.items()))
    parser.add_argument("--graphlet-size", type=int, choices=sorted(DEFAULT_GRAPHS), default=4,
                        help="largest graphlet counted (orca node|edge 4 or 5)")
    parser.add_argument("--backends", nargs="+", choices=["cpp", "numba"], default=["cpp", "numba"])
    parser.add_argument("--threads", type=int, default=2, help="graphrep threads (ORCA has one)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per cell; the median is shown")
    parser.add_argument("--edges", action="store_true", help="edge orbit counts (orca edge) instead of node")
    parser.add_argument("--no-e2e", action="store_true", help="skip the end-to-end (file to TSV) rows")
    parser.add_argument("--orca", type=Path, default=_shared() / "peers" / "orca" / "orca",
                        help="ORCA binary (default: ../shared/peers/orca/orca)")
    parser.add_argument("--data-root", type=Path, default=_shared() / "data",
                        help="where ogbl-ddi and email-Eu-core are looked for")
    parser.add_argument("--workdir", type=Path, help="keep the graph files here (default: a temporary folder)")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--rst", help="also write the table as reStructuredText (for the docs)")
    parser.add_argument("--conditions", default="",
                        help="what else ran on the machine, stated with the timings (e.g. 'lock held, other "
                             "helpers editing')")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, folder, name, *rest = args.child
        if kind == "prepare":
            result = prepare(name, Path(folder), Path(rest[0]))
        elif kind == "compare":
            result = same_as_orca(Path(folder), name, rest[0], int(rest[1]), rest[2], rest[3], int(rest[4]))
        else:
            result = child(kind, folder, name, rest[0], int(rest[1]), rest[2], int(rest[3]))
        print(json.dumps(result))
        return
    mode = "edge" if args.edges else "node"
    args.graphs = args.graphs or DEFAULT_GRAPHS[args.graphlet_size]
    orca = args.orca if os.access(args.orca, os.X_OK) else None
    if orca is None:
        print(f"ORCA not run: {args.orca} is not an executable (give --orca PATH)")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="graphrep-counts-") as scratch:
        folder = args.workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        rows = _measure(args, folder, orca, mode)
    load = os.getloadavg()
    machine = (f"{os.cpu_count()} cores{', ' + args.conditions if args.conditions else ''}, load average "
               f"{load_before[0]:.1f} at the start, {load[0]:.1f} / {load[1]:.1f} (1 / 5 min) at the end, "
               f"median of {args.repeat} runs")
    print(f"\n{machine}")
    if args.rst:
        _write_rst(args.rst, rows, machine, mode, args.graphlet_size)
    if args.json:
        from graphrep.utils import write_json

        write_json(args.json, {"rows": rows, "mode": mode, "graphlet_size": args.graphlet_size,
                               "threads": args.threads, "repeat": args.repeat,
                               "machine": machine, "graphs": GRAPHS})


def _measure(args, folder: Path, orca: Path | None, mode: str) -> list[dict]:
    header = (f"{'graph':<10}{'n':>9}{'m':>10}  {'tool':<11}{'threads':>8}{'seconds':>9}{'peak MB':>9}"
              f"{'speed-up':>10}{'RSS/ORCA':>10}  same")
    print(header)
    print("-" * len(header))
    rows = []
    for name in args.graphs:
        meta = _in_child("prepare", str(folder), name, str(args.data_root))
        reference = None
        cells = [("orca", None, 1)] if orca else []
        kinds = ["count"] if args.no_e2e else ["count", "e2e"]
        cells += [(kind, backend, args.threads) for kind in kinds for backend in args.backends]
        for kind, backend, threads in cells:
            runs = []
            for _ in range(args.repeat):
                if kind == "orca":
                    runs.append(run_orca(orca, folder, name, mode, args.graphlet_size))
                    continue
                runs.append(_in_child(kind, str(folder), name, backend, str(threads), mode, str(args.graphlet_size)))
            row = {**meta, "tool": "orca" if kind == "orca" else backend + (" e2e" if kind == "e2e" else ""),
                   "threads": threads, "seconds": statistics.median(r["seconds"] for r in runs),
                   "peak_mb": statistics.median(r["peak_mb"] for r in runs),
                   "runs": [round(r["seconds"], 4) for r in runs]}
            if kind == "orca":
                reference = row
            else:
                row["same_as_orca"] = (_in_child("compare", str(folder), name, mode, str(args.graphlet_size), backend,
                                                 kind, str(meta["n"])) if reference else None)
            if reference:
                row["speedup"] = reference["seconds"] / row["seconds"]
                row["rss_ratio"] = row["peak_mb"] / reference["peak_mb"]
            rows.append(row)
            same = {True: "yes", False: "NO", None: "-"}[row.get("same_as_orca")]
            print(f"{name:<10}{meta['n']:>9}{meta['m']:>10}  {row['tool']:<11}{threads:>8}{row['seconds']:>9.3f}"
                  f"{row['peak_mb']:>9.0f}{row.get('speedup', float('nan')):>10.2f}"
                  f"{row.get('rss_ratio', float('nan')):>10.2f}  {same}", flush=True)
    return rows


def _in_child(*argv: str):
    result = subprocess.run([sys.executable, __file__, "--child", *argv], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _write_rst(path: str, rows: list[dict], machine: str, mode: str, size: int) -> None:
    lines = [".. list-table::", "   :header-rows: 1", "",
             "   * - graph", "     - n", "     - m", "     - tool", "     - threads", "     - seconds",
             "     - peak MB", "     - speed-up vs ORCA", "     - RSS / ORCA's", "     - equal to ORCA"]
    for row in rows:
        same = {True: "yes", False: "no", None: "-"}[row.get("same_as_orca")]
        cells = [row["label"], row["n"], row["m"], row["tool"], row["threads"], f"{row['seconds']:.3g}",
                 f"{row['peak_mb']:.0f}", f"{row['speedup']:.1f}x" if "speedup" in row else "-",
                 f"{row['rss_ratio']:.2f}" if "rss_ratio" in row else "-", same if row["tool"] != "orca" else "-"]
        lines += [f"   * - {cells[0]}"] + [f"     - {cell}" for cell in cells[1:]]
    lines += ["", f"{mode.capitalize()} orbit counts of the graphlets on up to {size} nodes (``orca {mode} {size}``), "
                  f"measured with graphrep's own benchmark: {machine}.", ""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
