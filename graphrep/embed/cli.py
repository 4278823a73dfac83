"""Embed the nodes of a graph and write the vectors to one file.

--method gopmi: graphlet-orbit PMI, the PMI + SVD embedding of each of the
28 orbit adjacency matrices (or of --keys), concatenated: --dim columns per
matrix (default 16: 448 in all). --method rwpmi: random-walk PMI (NetMF) of
window --window, --dim columns (default 128); exact, or over --walks sampled
walks per node for graphs too large for the exact matrix.

OUT ending in .tsv (or any other suffix): a header line, then one line per
node, its original id and its vector, tab separated. OUT ending in .npy: a
float64 array [nodes, columns], plus OUT's stem + .nodes.txt mapping each
row index to its node id. The file appears only once it is complete.

examples:
  graphrep embed --dataset karate -o karate-gopmi.tsv --method gopmi --dim 4
  graphrep embed --dataset karate -o karate-rwpmi.npy --method rwpmi --dim 16
"""
from __future__ import annotations

import argparse
import logging
import os
import time
from pathlib import Path

import numpy as np

from graphrep.cli_options import (
    add_graph_input,
    add_output_options,
    check_output_options,
    format_seconds,
    non_negative_int,
    parse_orbit_keys,
    positive_int,
    print_summary,
    read_graph_input,
)
from graphrep.io import atomic_file
from graphrep.utils import numba_compile_clock

logger = logging.getLogger(__name__)

METHODS = ("gopmi", "rwpmi")
DEFAULT_DIM = {"gopmi": 16, "rwpmi": 128}
# The exact random-walk matrix and its PMI can be dense: about this many
# n x n float64 copies are alive at once.
EXACT_RWPMI_DENSE_COPIES = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_graph_input(parser)
    add_output_options(parser, help="output file: .npy for an array, anything else for TSV")
    parser.add_argument("--method", required=True, choices=METHODS,
                        help="gopmi (graphlet orbits) or rwpmi (random walks)")
    parser.add_argument("--dim", type=positive_int, metavar="D",
                        help="columns (rwpmi, default 128) or columns per orbit adjacency matrix (gopmi, default 16)")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S",
                        help="seed of the randomized SVD and of sampled walks (default 0)")
    parser.add_argument("--keys", nargs="+", metavar="KEY",
                        help="gopmi: only these orbit adjacency matrices, e.g. h1_o0_o0 h2_o1_o1")
    parser.add_argument("--window", type=positive_int, default=10, metavar="T",
                        help="rwpmi: co-occurrence window (default 10)")
    parser.add_argument("--walks", type=positive_int, metavar="R",
                        help="rwpmi: sample R walks per node instead of the exact matrix (for large graphs)")


def run(args: argparse.Namespace) -> int:
    check_output_options(args, folder=False)
    if args.method == "rwpmi" and args.keys:
        raise ValueError("--keys selects orbit adjacency matrices: it needs --method gopmi")
    if args.method == "gopmi" and args.walks:
        raise ValueError("--walks samples random walks: it needs --method rwpmi")
    dim = args.dim or DEFAULT_DIM[args.method]
    keys = parse_orbit_keys(args.keys)
    graph, source = read_graph_input(args)
    logger.info("%s: %d nodes, %d edges", source, graph.num_nodes, graph.num_edges)

    from sklearn.utils.extmath import randomized_svd  # noqa: F401  (import time is not embedding time)

    from graphrep.embed import gopmi, rwpmi
    from graphrep.orbits import orbit_adjacency

    started = time.perf_counter()
    with numba_compile_clock() as compiling:
        if args.method == "gopmi":
            embedding = gopmi(orbit_adjacency(graph, keys=keys), dim, keys=keys, seed=args.seed)
        else:
            if args.walks is None:
                _check_exact_rwpmi_memory(graph.num_nodes)
            embedding = rwpmi(graph, dim, window=args.window, num_walks=args.walks, seed=args.seed)
    seconds = time.perf_counter() - started

    if args.out.suffix == ".npy":
        nodes_path = args.out.with_name(args.out.stem + ".nodes.txt")
        with atomic_file(args.out, overwrite=args.overwrite) as npy, \
                atomic_file(nodes_path, overwrite=args.overwrite) as nodes:
            with open(npy, "wb") as handle:
                np.save(handle, embedding)
            table = np.column_stack([np.arange(graph.num_nodes), graph.node_ids]).astype(str)
            np.savetxt(nodes, table, fmt="%s", delimiter="\t")
    else:
        with atomic_file(args.out, overwrite=args.overwrite) as tsv:
            _write_tsv(tsv, graph.node_ids, embedding)
    print_summary(f"{graph.num_nodes} nodes, {graph.num_edges} edges; {args.method.upper()} embedding, "
                  f"{embedding.shape[1]} columns, in {format_seconds(seconds, compiling.seconds)} -> {args.out}")
    return 0


def _check_exact_rwpmi_memory(num_nodes: int) -> None:
    """Refuses the exact RWPMI matrix when its dense copies would not fit."""
    needed = EXACT_RWPMI_DENSE_COPIES * 8 * num_nodes**2
    available = _physical_memory()
    if available is not None and needed > available // 2:
        raise MemoryError(
            f"exact RWPMI on {num_nodes} nodes may need {needed / 2**30:.1f} GB "
            f"({EXACT_RWPMI_DENSE_COPIES} dense {num_nodes} x {num_nodes} matrices), more than half of this "
            f"machine's {available / 2**30:.1f} GB; sample walks instead (--walks 10) or use --method gopmi"
        )


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _write_tsv(path: Path, node_ids: np.ndarray, embedding: np.ndarray) -> None:
    header = "node\t" + "\t".join(f"x{column}" for column in range(embedding.shape[1]))
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(header + "\n")
        for node, vector in zip(node_ids.astype(str), embedding):
            handle.write(node + "\t" + "\t".join(f"{value:.9g}" for value in vector) + "\n")
