"""Random-walk throughput and random-walk structural encodings, timed.

Walks: 2 walks of length 40 from every node of a 100k-node, ~1M-edge
power-law (Chung-Lu, exponent 2.5) graph, through the public API
(:func:`graphrep.walks.sample_walks`, allocation included), against a plain
vectorised torch walker (one ``rowptr``/``col`` gather per step for all
walks at once) measured in the same run. Then the torch-cluster-shaped call
a PyG user makes, ``random_walk(edge_index, start, 40)`` with tensors, on
``barabasi_albert_graph(100000, 10)`` (~1M edges), beside the kernel on the
same graph's CSR: the first call converts ``edge_index`` (timed apart), later
calls on the same tensor reuse that CSR. Encodings: graphrep's
``AddRandomWalkSE`` against PyG's ``AddRandomWalkPE`` on 100k-node graphs.
Every number is the best of ``--repeats`` runs after a warm-up call (which
also compiles the Numba kernels); the load average is printed beside it,
since other processes share the cores.

    python benchmarks/walks.py
    python benchmarks/walks.py --repeats 9 --json walks-bench.json
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np


def power_law_graph(num_nodes: int, num_edges: int, exponent: float, seed: int):
    """Chung-Lu graph: endpoints drawn with weight ``i^(-1/(exponent-1))``,
    duplicates and self-loops dropped."""
    from graphrep import as_graph

    rng = np.random.default_rng(seed)
    weights = np.arange(1, num_nodes + 1, dtype=np.float64) ** (-1.0 / (exponent - 1.0))
    weights /= weights.sum()
    edges = rng.choice(num_nodes, size=(int(num_edges * 1.015), 2), p=weights)
    return as_graph(edges, num_nodes=num_nodes)


def molecule_batch(num_nodes: int, graph_size: int, seed: int):
    """Disjoint union of random trees with a few extra ring-closing edges
    (molecule-like: ~``graph_size`` nodes, average degree ~2.2)."""
    from graphrep import as_graph

    rng = np.random.default_rng(seed)
    edges = []
    for offset in range(0, num_nodes, graph_size):
        size = min(graph_size, num_nodes - offset)
        parents = np.array([rng.integers(0, i) for i in range(1, size)], dtype=np.int64)
        tree = np.stack([parents, np.arange(1, size)], axis=1)
        rings = rng.integers(0, size, size=(max(1, size // 10), 2))
        edges.append(np.concatenate([tree, rings]) + offset)
    return as_graph(np.concatenate(edges), num_nodes=num_nodes)


def grid_graph(side: int):
    """A ``side x side`` 2-D grid (road-network-like, degree <= 4)."""
    from graphrep import as_graph

    ids = np.arange(side * side).reshape(side, side)
    edges = np.concatenate([
        np.stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()], axis=1),
        np.stack([ids[:-1, :].ravel(), ids[1:, :].ravel()], axis=1),
    ])
    return as_graph(edges, num_nodes=side * side)


def torch_walker(rowptr, col, start, walk_length, generator):
    """The plain vectorised walker: all walks advance together, one gather per step."""
    import torch

    degree = rowptr[1:] - rowptr[:-1]
    current = start
    steps = [current]
    for _ in range(walk_length):
        node_degree = degree[current]
        offset = (torch.rand(current.numel(), generator=generator, dtype=torch.float64) * node_degree).long()
        position = (rowptr[current] + offset).clamp_(max=col.numel() - 1)
        current = torch.where(node_degree > 0, col[position], current)
        steps.append(current)
    return torch.stack(steps, dim=1)


def best_time(function, repeats: int) -> float:
    function()
    best = float("inf")
    for _ in range(repeats):
        begin = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - begin)
    return best


def public_call_section(args, report) -> None:
    """``random_walk(edge_index, start, L)`` against the kernel on the same CSR."""
    import networkx as nx
    import torch

    from graphrep import as_graph
    from graphrep.walks import random_walk, sample_walks

    edges = np.array(nx.barabasi_albert_graph(args.nodes, 10, seed=args.seed).edges(), dtype=np.int64)
    edge_index = torch.from_numpy(np.concatenate([edges, edges[:, ::-1]]).T.copy())
    graph = as_graph(edge_index)
    start = torch.arange(graph.num_nodes).repeat(args.walks_per_node)
    steps = start.numel() * args.walk_length
    print(f"BA graph: {graph.num_nodes:,} nodes, {graph.num_edges:,} edges; edge_index {tuple(edge_index.shape)}")
    fresh = torch.from_numpy(edge_index.numpy().copy())
    begin = time.perf_counter()
    random_walk(fresh, start, args.walk_length, seed=args.seed)
    report("public", "first call (edge_index -> CSR + walks)", time.perf_counter() - begin, steps, "steps")
    for label, p, q in [("uniform", 1.0, 1.0), ("node2vec p=0.5 q=2", 0.5, 2.0)]:
        public = best_time(lambda: random_walk(edge_index, start, args.walk_length, p=p, q=q, seed=args.seed),
                           args.repeats)
        report("public", f"random_walk(edge_index, ...) {label}", public, steps, "steps")
        kernel = best_time(lambda: sample_walks(graph, start.numpy(), args.walk_length, p=p, q=q, seed=args.seed),
                           args.repeats)
        report("public", f"kernel sample_walks(CSRGraph, ...) {label}", kernel, steps, "steps")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nodes", type=int, default=100_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--walks-per-node", type=int, default=2)
    parser.add_argument("--walk-length", type=int, default=40)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-encodings", action="store_true")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args()

    import numba
    import torch

    from graphrep.walks import sample_walks

    rows = []

    def report(section, name, seconds, work, unit, **extra):
        load = os.getloadavg()[0]
        rate = work / seconds if work else None
        rows.append({"section": section, "name": name, "seconds": seconds, "rate": rate, "unit": unit,
                     "load_1min": load, **extra})
        rate_text = f"{rate / 1e6:9.1f} M {unit}/s" if rate else " " * 17
        print(f"{section:10s} {name:42s} {seconds * 1e3:10.1f} ms {rate_text}   load {load:.2f}", flush=True)

    graph = power_law_graph(args.nodes, args.edges, 2.5, args.seed)
    start = np.repeat(np.arange(graph.num_nodes, dtype=np.int64), args.walks_per_node)
    steps = start.shape[0] * args.walk_length
    print(f"power-law graph: {graph.num_nodes:,} nodes, {graph.num_edges:,} edges, max degree "
          f"{int(graph.degrees.max()):,}; {start.shape[0]:,} walks x {args.walk_length} steps; "
          f"numba threads {numba.get_num_threads()}, torch threads {torch.get_num_threads()}, "
          f"cpus {os.cpu_count()}")
    uniform = best_time(lambda: sample_walks(graph, start, args.walk_length, seed=args.seed), args.repeats)
    report("walks", "graphrep uniform", uniform, steps, "steps")
    node2vec = best_time(
        lambda: sample_walks(graph, start, args.walk_length, p=0.5, q=2.0, seed=args.seed), args.repeats
    )
    report("walks", "graphrep node2vec p=0.5 q=2", node2vec, steps, "steps")
    rowptr, col = torch.from_numpy(graph.indptr), torch.from_numpy(graph.indices)
    start_tensor = torch.from_numpy(start)
    generator = torch.Generator().manual_seed(args.seed)
    vectorised = best_time(lambda: torch_walker(rowptr, col, start_tensor, args.walk_length, generator),
                           args.repeats)
    report("walks", "plain vectorised torch walker (uniform)", vectorised, steps, "steps")
    print(f"uniform speed-up over the torch walker: {vectorised / uniform:.2f}x")
    rows.append({"section": "walks", "name": "uniform speed-up over torch walker", "ratio": vectorised / uniform})

    public_call_section(args, report)

    if not args.skip_encodings:
        from torch_geometric.data import Data
        from torch_geometric.transforms import AddRandomWalkPE

        from graphrep.transforms import AddRandomWalkSE

        cases = [("molecule batch (25-node graphs)", molecule_batch(args.nodes, 25, args.seed), 16),
                 ("2-D grid", grid_graph(int(round(args.nodes ** 0.5))), 8)]
        for label, case_graph, walk_length in cases:
            data = Data(edge_index=torch.from_numpy(case_graph.edge_index()), num_nodes=case_graph.num_nodes)
            name = f"{label}, {case_graph.num_nodes:,} nodes, K={walk_length}"
            ours = best_time(lambda: AddRandomWalkSE(walk_length)(data.clone()), args.repeats)
            report("encodings", f"graphrep AddRandomWalkSE: {name}", ours, 0, "")
            theirs = best_time(lambda: AddRandomWalkPE(walk_length)(data.clone()), max(1, args.repeats // 2))
            report("encodings", f"PyG AddRandomWalkPE: {name}", theirs, 0, "")
            print(f"AddRandomWalkSE speed-up over AddRandomWalkPE ({label}): {theirs / ours:.1f}x")
            rows.append({"section": "encodings", "name": f"speed-up {label}", "ratio": theirs / ours})

    if args.json:
        from graphrep.utils import write_json

        write_json(args.json, {"rows": rows, "args": vars(args),
                               "graph": {"nodes": graph.num_nodes, "edges": graph.num_edges}})


if __name__ == "__main__":
    main()
