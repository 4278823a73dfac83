"""Orbit adjacency benchmark: time and peak memory of the 28 matrices.

Each (graph, backend) runs in a fresh child process, after a warm-up call
on a tiny graph (so Numba's JIT or cache load is not timed), and reports
the wall time of ``orbit_adjacency`` alone and the child's peak resident
memory (``ru_maxrss``: the interpreter, the graph and the output) and
how much of it the call added (peak minus the peak before the call).

    python benchmarks/orbits.py                    # all graphs, both backends
    python benchmarks/orbits.py --graphs ba10k --backends cpp
    python benchmarks/orbits.py --scale star ba20k-budget ddi-h1 cluster estimate
    python benchmarks/orbits.py --scale ddi-all    # all 28 keys of ogbl-ddi under 2 GB (minutes)

``--scale`` runs the command line (``graphrep orbits ...``) in a fresh child
process per case and reports its wall time, its peak resident memory and
what it decided: the 100,000-leaf star (about 10^10 nonzeros: refused, with
the time to the decision), BA(20k, 5) in memory against ``--max-memory
600M`` (files compared), ogbl-ddi with one hop-1 key and with all 28 under
``--max-memory 2G``, a LocalCluster of 2 Dask workers against one machine,
and the cost of ``--estimate`` against the full computation.
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


def _data_root() -> str:
    return os.environ.get("GRAPHREP_DATA") or os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")


def ppi():
    from graphrep.datasets import load_ppi

    return load_ppi(_data_root())


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


SCALE_CASES = ("star", "ba20k-budget", "ddi-h1", "ddi-all", "cluster", "estimate")


def cli_child(argv: list[str]) -> dict:
    """Runs ``graphrep`` in this process; its wall time and peak memory."""
    import contextlib
    import io

    from graphrep.cli import main

    out, err = io.StringIO(), io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return {"rc": rc, "seconds": time.perf_counter() - start, "stdout": out.getvalue()[-3000:],
            "stderr": err.getvalue()[-500:], "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_cli(argv: list[str]) -> dict:
    result = subprocess.run([sys.executable, __file__, "--cli-child", json.dumps(argv)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def _same_files(left: str, right: str) -> bool:
    import filecmp

    names = sorted(os.listdir(left))
    return sorted(os.listdir(right)) == names and \
        filecmp.cmpfiles(left, right, names, shallow=False)[1] == ["manifest.json"]


def scale_rows(cases: list[str], work: str, data_root: str) -> list[dict]:
    import shutil

    rows = []

    def case(name: str, argv: list[str], note: str = "") -> dict:
        result = run_cli(argv)
        decision = "exit 0" if result["rc"] == 0 else f"exit {result['rc']}: " + result["stderr"].strip()[:160]
        manifest_path = os.path.join(argv[argv.index("-o") + 1], "manifest.json") if "-o" in argv else None
        if manifest_path and os.path.exists(manifest_path):
            manifest = json.load(open(manifest_path))
            decision = (f"{'streamed, ' + str(manifest['row_blocks']) + ' blocks' if manifest['streamed'] else 'in memory'}"
                        f", {sum(manifest['nnz'].values()):,} nonzeros")
        row = {"case": name, "seconds": result["seconds"], "peak_mb": result["peak_mb"],
               "result": decision + (f"; {note}" if note else "")}
        rows.append(row)
        print(f"{name:<44}{row['seconds']:>9.1f}{row['peak_mb']:>9.0f}  {row['result']}", flush=True)
        return result

    def out(name: str) -> str:
        path = os.path.join(work, name)
        shutil.rmtree(path, ignore_errors=True)
        return path

    if "star" in cases:
        star = os.path.join(work, "star.tsv")
        np.savetxt(star, np.stack([np.zeros(100_000, dtype=np.int64), np.arange(1, 100_001)], axis=1), fmt="%d")
        case("star, 100k leaves: --estimate", ["orbits", star, "--estimate", "-q"])
        case("star, 100k leaves: -o (npz)", ["orbits", star, "-o", out("star"), "-q"])
    if "ba20k-budget" in cases:
        import networkx as nx

        ba = os.path.join(work, "ba20k.tsv")
        np.savetxt(ba, np.array(nx.barabasi_albert_graph(20_000, 5, seed=1).edges()), fmt="%d")
        case("BA(20k, 5), in memory", ["orbits", ba, "-o", out("ba20k-memory"), "-q"])
        case("BA(20k, 5), --max-memory 600M", ["orbits", ba, "-o", out("ba20k-600M"), "--max-memory", "600M", "-q"])
        rows[-1]["result"] += "; files equal to in memory: " + str(
            _same_files(os.path.join(work, "ba20k-memory"), os.path.join(work, "ba20k-600M")))
    ddi = ["--dataset", "ogbl-ddi", "--data-root", data_root]
    if "ddi-h1" in cases:
        case("ogbl-ddi, --keys h1_o0_o0", ["orbits", *ddi, "--keys", "h1_o0_o0", "-o", out("ddi-h1"), "-q"])
    if "ddi-all" in cases:
        case("ogbl-ddi, all 28 keys, --max-memory 2G", ["orbits", *ddi, "-o", out("ddi-all"), "--max-memory", "2G",
                                                        "-q"])
    if "cluster" in cases:
        import networkx as nx

        ba = os.path.join(work, "ba10k.tsv")
        np.savetxt(ba, np.array(nx.barabasi_albert_graph(10_000, 4, seed=1).edges()), fmt="%d")
        case("BA(10k, 4), one machine, --block-rows 500", ["orbits", ba, "-o", out("ba10k-one"), "--block-rows", "500",
                                                           "-q"])
        case("BA(10k, 4), LocalCluster --workers 2", ["orbits", ba, "-o", out("ba10k-dask"), "--workers", "2", "-q"],
             note="peak is the client's")
        rows[-1]["result"] += "; files equal to one machine: " + str(
            _same_files(os.path.join(work, "ba10k-one"), os.path.join(work, "ba10k-dask")))
    if "estimate" in cases:
        for graph_name in ("ba10k", "ppi", "ba20k", "grid1m", "star"):
            result = subprocess.run([sys.executable, __file__, "--estimate-child", graph_name], capture_output=True,
                                    text=True)
            if result.returncode != 0:
                raise RuntimeError(result.stderr[-2000:])
            timing = json.loads(result.stdout.strip().splitlines()[-1])
            if timing["full"] is None:
                text = (f"full computation not run (about {timing['estimated']:,} nonzeros, at most "
                        f"{timing['high']:,})")
            else:
                error = 100 * (timing["estimated"] - timing["exact"]) / timing["exact"]
                text = (f"{100 * timing['estimate'] / timing['full']:.2f}% of the full {timing['full']:.2f} s; "
                        f"nnz estimated {timing['estimated']:,}, exact {timing['exact']:,} ({error:+.2f}%)")
            row = {"case": f"estimate() vs full, {graph_name}", "seconds": timing["estimate"], "peak_mb": float("nan"),
                   "result": text, **timing}
            rows.append(row)
            print(f"{row['case']:<44}{row['seconds']:>9.3f}{'':>9}  {row['result']}", flush=True)
    return rows


def estimate_child(graph_name: str) -> dict:
    from graphrep import as_graph
    from graphrep.orbits import estimate, orbit_adjacency
    from graphrep.utils import set_quiet

    set_quiet()
    if graph_name == "star":
        leaves = np.arange(1, 100_001, dtype=np.int64)
        graph = as_graph(np.stack([np.zeros_like(leaves), leaves], axis=1))
    else:
        graph = as_graph(GRAPHS[graph_name][1]())
    estimate(np.array([[0, 1], [1, 2], [2, 0], [2, 3]]))
    start = time.perf_counter()
    guess = estimate(graph)
    estimated = time.perf_counter() - start
    timing = {"estimate": estimated, "full": None, "estimated": guess.total_nnz,
              "high": sum(guess.nnz_high.values()), "exact": None}
    if graph_name != "star":  # the star's 10^10 nonzeros do not fit in memory
        start = time.perf_counter()
        matrices = orbit_adjacency(graph)
        timing["full"] = time.perf_counter() - start
        timing["exact"] = sum(m.nnz for m in matrices.values())
    return timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graphs", nargs="+", choices=list(GRAPHS), default=list(GRAPHS))
    parser.add_argument("--backends", nargs="+", choices=["cpp", "numba"], default=["cpp", "numba"])
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--rst", help="also write the table as reStructuredText (for the docs)")
    parser.add_argument("--scale", nargs="+", choices=SCALE_CASES, help="the scale cases instead of the timings")
    parser.add_argument("--work", default="bench-orbits-work", help="folder for --scale inputs and outputs")
    parser.add_argument("--conditions", default="", help="how the machine was shared, for the tables")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--cli-child", help=argparse.SUPPRESS)
    parser.add_argument("--estimate-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(*args.child)))
        return
    if args.cli_child:
        print(json.dumps(cli_child(json.loads(args.cli_child))))
        return
    if args.estimate_child:
        print(json.dumps(estimate_child(args.estimate_child)))
        return
    if args.scale:
        os.makedirs(args.work, exist_ok=True)
        print(f"{'case':<44}{'seconds':>9}{'peak MB':>9}  result")
        rows = scale_rows(args.scale, args.work, _data_root())
        machine = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end" + (
        f", {args.conditions}" if args.conditions else "")
        print(f"\n{machine}")
        if args.rst:
            _write_scale_rst(args.rst, rows, machine)
        if args.json:
            from graphrep.utils import write_json

            write_json(args.json, {"rows": rows})
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
    machine = f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end" + (
        f", {args.conditions}" if args.conditions else "")
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


def _write_scale_rst(path: str, rows: list[dict], machine: str) -> None:
    lines = [".. list-table::", "   :header-rows: 1", "", "   * - case", "     - seconds", "     - peak MB",
             "     - result"]
    for row in rows:
        peak = "" if row["peak_mb"] != row["peak_mb"] else f"{row['peak_mb']:.0f}"
        seconds = f"{row['seconds']:.3f}" if row["seconds"] < 1 else f"{row['seconds']:.1f}"
        lines += [f"   * - {row['case']}", f"     - {seconds}", f"     - {peak}",
                  f"     - {row['result']}"]
    lines += ["", f"Measured with ``python benchmarks/orbits.py --scale ...``: {machine}.", ""]
    with open(path, "w") as handle:
        handle.write("\n".join(lines))


if __name__ == "__main__":
    main()
