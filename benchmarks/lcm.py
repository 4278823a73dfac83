"""Forward + backward time and peak memory of graphrep's LCMAggregation
against PyG's on Barabasi-Albert graphs.

Every (implementation, graph) case runs in a fresh child process, so caches
and the allocator's high-water mark of one case never leak into another. The
peak memory of a case is the rise of the child's peak resident set size
(VmHWM, reset through /proc/self/clear_refs once inputs and model exist)
over its resident size just before the pass; the absolute peak of the child,
which includes the ~0.4 GB of importing torch and PyG, is shown too.

Each case first runs one pass on a 50-node graph (lazy initialisation), then
the measured pass; wall time and process CPU time are both reported, the
latter being steadier on a shared machine. Cases run single-threaded by
default (``--threads``).

    python benchmarks/lcm.py                  # both graphs, 64 channels
    python benchmarks/lcm.py --nodes 3000 --json out.json

PyG's aggregation pads every neighbourhood to the largest degree: on
(10000, 5) it needs about 19 GB; a PyG case whose estimated need exceeds 90%
of the available memory is skipped with a message.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

IMPLEMENTATIONS = ("graphrep", "graphrep-mlp", "pyg")


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _graph(nodes: int, edges_per_node: int, seed: int):
    from torch_geometric.utils import barabasi_albert_graph

    from graphrep.utils import seed_everything

    import torch  # noqa: F401  (seed_everything seeds torch only once it is imported)

    seed_everything(seed)
    return barabasi_albert_graph(nodes, edges_per_node)


def _make(implementation: str, channels: int):
    import graphrep.nn as gnn
    from torch_geometric.nn.aggr import LCMAggregation as PyGLCM

    if implementation == "pyg":
        return PyGLCM(channels, channels)
    operator = "mlp" if implementation == "graphrep-mlp" else "gru"
    return gnn.LCMAggregation(channels, channels, operator=operator)


def run_case(implementation: str, nodes: int, edges_per_node: int, channels: int, seed: int,
             threads: int) -> dict:
    """One forward + backward pass in this process (after a warm-up pass on
    a 50-node graph); returns its measurements."""
    import torch
    from torch_geometric.utils import degree

    torch.set_num_threads(threads)
    warm_index = _graph(50, edges_per_node, seed)
    warm_index = warm_index[:, warm_index[1].argsort(stable=True)]
    warm_x = torch.randn(50, channels, requires_grad=True)
    _make(implementation, channels)(warm_x[warm_index[0]], warm_index[1], dim_size=50).sum().backward()

    edge_index = _graph(nodes, edges_per_node, seed)
    edge_index = edge_index[:, edge_index[1].argsort(stable=True)]  # PyG needs sorted index
    source, target = edge_index
    x = torch.randn(nodes, channels)
    aggr = _make(implementation, channels)
    x.requires_grad_(True)
    baseline_kb = _status_kb("VmRSS")
    _reset_peak()
    start, cpu_start = time.perf_counter(), time.process_time()
    out = aggr(x[source], target, dim_size=nodes)
    out.square().mean().backward()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    peak_kb = _status_kb("VmHWM")
    return {
        "implementation": implementation, "nodes": nodes, "edges_per_node": edges_per_node,
        "channels": channels, "messages": int(target.numel()),
        "max_degree": int(degree(target, nodes).max()), "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "peak_gb": (peak_kb - baseline_kb) / 2**20, "absolute_peak_gb": peak_kb / 2**20,
        "threads": threads,
    }


def _available_gb() -> float:
    with open("/proc/meminfo") as meminfo:
        for line in meminfo:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    return float("inf")


def _pyg_estimate_gb(nodes: int, edges_per_node: int, channels: int, seed: int) -> float:
    # Dense [N, max_degree, F] padding: ~17 float copies per padded slot (measured).
    from torch_geometric.utils import degree

    max_degree = int(degree(_graph(nodes, edges_per_node, seed)[1], nodes).max())
    return 17 * nodes * max_degree * channels * 4 / 2**30


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, nargs="+", default=[3000, 10000])
    parser.add_argument("--edges-per-node", type=int, default=5)
    parser.add_argument("--channels", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1, help="torch threads per case")
    parser.add_argument("--implementations", nargs="+", default=list(IMPLEMENTATIONS),
                        choices=IMPLEMENTATIONS)
    parser.add_argument("--json", help="also write the measurements here")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.case:  # child process: one measurement, printed as JSON
        implementation, nodes = args.case.split(":")
        print(json.dumps(run_case(implementation, int(nodes), args.edges_per_node, args.channels,
                                  args.seed, args.threads)))
        return {}

    wall_start = time.perf_counter()
    rows = []
    for nodes in args.nodes:
        for implementation in args.implementations:
            if implementation == "pyg":
                need = _pyg_estimate_gb(nodes, args.edges_per_node, args.channels, args.seed)
                if need > 0.9 * _available_gb():
                    print(f"skipping pyg on {nodes} nodes: needs ~{need:.1f} GB, "
                          f"{_available_gb():.1f} GB available", file=sys.stderr)
                    continue
            child = subprocess.run(
                [sys.executable, __file__, "--case", f"{implementation}:{nodes}",
                 "--edges-per-node", str(args.edges_per_node), "--channels", str(args.channels),
                 "--seed", str(args.seed), "--threads", str(args.threads)],
                capture_output=True, text=True, check=True)
            rows.append(json.loads(child.stdout.strip().splitlines()[-1]))
            print(f"  {implementation:>13} on BA({nodes}, {args.edges_per_node}): "
                  f"{rows[-1]['seconds']:.3f} s, {rows[-1]['peak_gb']:.3f} GB", file=sys.stderr,
                  flush=True)

    print(format_table(rows))
    result = {"seed": args.seed, "seeds": [args.seed], "channels": args.channels,
              "threads": args.threads, "rows": rows, "wall_time_s": time.perf_counter() - wall_start}
    if args.json:
        from graphrep.utils import write_json

        write_json(args.json, result)
    return result


def format_table(rows: list[dict]) -> str:
    """Markdown table with speed (wall and CPU time) and memory ratios
    against PyG on the same graph."""
    pyg = {row["nodes"]: row for row in rows if row["implementation"] == "pyg"}
    header = (f"| {'graph':<12} | {'implementation':<13} | {'max deg':>7} | {'time (s)':>8} | "
              f"{'CPU (s)':>8} | {'peak (GB)':>9} | {'abs. peak (GB)':>14} | {'speed-up':>8} | "
              f"{'CPU speed-up':>12} | {'memory ratio':>12} |")
    lines = [header, "|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|"]
    for row in rows:
        base = pyg.get(row["nodes"])
        speed = f"{base['seconds'] / row['seconds']:.1f}x" if base else "n/a"
        cpu = f"{base['cpu_seconds'] / row['cpu_seconds']:.1f}x" if base else "n/a"
        memory = f"{base['peak_gb'] / row['peak_gb']:.1f}x" if base else "n/a"
        graph = f"BA({row['nodes']}, {row['edges_per_node']})"
        lines.append(
            f"| {graph:<12} | {row['implementation']:<13} | {row['max_degree']:>7} | "
            f"{row['seconds']:>8.3f} | {row['cpu_seconds']:>8.3f} | {row['peak_gb']:>9.3f} | "
            f"{row['absolute_peak_gb']:>14.3f} | {speed:>8} | {cpu:>12} | {memory:>12} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
