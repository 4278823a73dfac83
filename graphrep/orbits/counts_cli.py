"""Count the graphlet orbits of every node (the 15 orbits of the graphlets on
2-4 nodes, or the 73 on 2-5 nodes with --graphlet-size 5: graphlet degree
vectors) or, with --edges, of every edge (the 12 or 68 edge orbits, numbered
as ORCA numbers them) and write them to one TSV file with the input's node
ids and one header line. The file appears only once it is complete.

example:
  graphrep counts --dataset karate -o gdv.tsv
  graphrep counts edges.txt -o edge_gdv.tsv --edges --normalize log
  graphrep counts edges.txt -o gdv5.tsv --graphlet-size 5
"""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from graphrep.cli_options import (
    add_graph_input, add_output_options, check_output_options, format_seconds, positive_int, print_summary,
    read_graph_input,
)
from graphrep.io import atomic_file
from graphrep.orbits._engine import BACKENDS
from graphrep.orbits.counts import edge_orbit_counts, orbit_counts
from graphrep.orbits.graphlets import NUM_EDGE_ORBITS_BY_SIZE, NUM_NODE_ORBITS_BY_SIZE
from graphrep.utils import numba_compile_clock

logger = logging.getLogger(__name__)

NORMALIZE = ("none", "log")
_ROWS_PER_WRITE = 65536


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_graph_input(parser)
    add_output_options(parser, metavar="OUT.tsv", help="output TSV file")
    parser.add_argument("--edges", action="store_true",
                        help="edge orbit counts (u, v, e0..e11 or e0..e67, one row per edge) instead of node "
                             "orbit counts")
    parser.add_argument("--graphlet-size", type=int, choices=sorted(NUM_NODE_ORBITS_BY_SIZE), default=4,
                        help="largest graphlet counted: 4 (15 node, 12 edge orbits; default) or 5 (73 node, 68 "
                             "edge orbits)")
    parser.add_argument("--normalize", choices=NORMALIZE, default="none",
                        help="none: integer counts (default); log: log(1 + count)")
    parser.add_argument("--backend", choices=BACKENDS, default="auto", help="kernel (default: auto = C++ when built)")
    parser.add_argument("--threads", type=positive_int, metavar="N", help="kernel threads (default: all cores)")


def run(args: argparse.Namespace) -> int:
    check_output_options(args, folder=False)
    graph, source = read_graph_input(args)
    logger.info("%s: %d nodes, %d edges", source, graph.num_nodes, graph.num_edges)
    started = time.perf_counter()
    ids = graph.node_ids
    options = dict(graphlet_size=args.graphlet_size, backend=args.backend, num_threads=args.threads)
    with numba_compile_clock() as compiling:
        if args.edges:
            edges, counts = edge_orbit_counts(graph, **options)
            labels = [ids[edges[:, 0]], ids[edges[:, 1]]]
            header = ["u", "v"] + [f"e{e}" for e in range(NUM_EDGE_ORBITS_BY_SIZE[args.graphlet_size])]
        else:
            counts = orbit_counts(graph, **options)
            labels = [ids]
            header = ["node"] + [f"o{o}" for o in range(NUM_NODE_ORBITS_BY_SIZE[args.graphlet_size])]
    seconds = time.perf_counter() - started
    values = np.log1p(counts) if args.normalize == "log" else counts
    with atomic_file(args.out, overwrite=args.overwrite) as path:
        _write_tsv(path, header, labels, values, "%.6g" if args.normalize == "log" else "%d")
    what = "edge orbit counts" if args.edges else "node orbit counts"
    print_summary(f"{graph.num_nodes} nodes, {graph.num_edges} edges; {what} in "
                  f"{format_seconds(seconds, compiling.seconds)} -> {args.out}")
    return 0


def _write_tsv(path: Path, header: list[str], labels: list[np.ndarray], values: np.ndarray, fmt: str) -> None:
    """One header line, then the label columns and the values, tab-separated."""
    row_format = "\t".join(["%s"] * len(labels) + [fmt] * values.shape[1]) + "\n"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write("\t".join(header) + "\n")
        for start in range(0, values.shape[0], _ROWS_PER_WRITE):
            stop = start + _ROWS_PER_WRITE
            columns = [label[start:stop].tolist() for label in labels]
            handle.write("".join(row_format % (*names, *row)
                                 for *names, row in zip(*columns, values[start:stop].tolist())))
