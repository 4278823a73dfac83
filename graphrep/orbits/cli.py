"""Compute the 28 graphlet orbit adjacency matrices of a graph and write them
to a folder: one file per matrix (h{hop}_o{o1}_o{o2}.npz or .mtx) or one
long TSV, plus nodes.txt (row index -> node id) and manifest.json. The
folder appears only when everything is written."""
from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import graphrep
from graphrep.cli_options import (add_graph_input, add_output_options, check_output_options, format_seconds,
                                  parse_orbit_keys, print_summary, read_graph_input)
from graphrep.io import atomic_directory, write_matrix
from graphrep.orbits.adjacency import BACKENDS, orbit_adjacency, orbit_counts
from graphrep.orbits.keys import GRAPHLET_OF_ORBIT, GRAPHLET_SIZE, NUM_ORBITS, format_key
from graphrep.utils import numba_compile_clock, progress

logger = logging.getLogger(__name__)

FORMATS = ("npz", "mtx", "tsv")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_graph_input(parser)
    add_output_options(parser, metavar="OUTDIR", help="output folder")
    parser.add_argument("--backend", choices=BACKENDS, default="auto", help="kernel (default: auto = C++ when built)")
    parser.add_argument("--format", choices=FORMATS, default="npz", dest="fmt",
                        help="npz (scipy save_npz), mtx (MatrixMarket) or tsv (u v hop o1 o2 count, node ids)")
    parser.add_argument("--keys", nargs="+", metavar="KEY", help="only these matrices, e.g. h1_o0_o0 h2_o1_o1")
    parser.add_argument("--counts", action="store_true", help="also write orbit_counts.tsv (15 orbits per node)")


def run(args: argparse.Namespace) -> int:
    check_output_options(args)
    keys = parse_orbit_keys(args.keys)
    graph, source = read_graph_input(args)
    logger.info("%s: %d nodes, %d edges", source, graph.num_nodes, graph.num_edges)

    started = time.perf_counter()
    with numba_compile_clock() as compiling:
        matrices = orbit_adjacency(graph, backend=args.backend, keys=keys)
        counts = None
        if args.counts:
            counts = _counts_from_rows(matrices) if keys is None else orbit_counts(graph, backend=args.backend)
    seconds = time.perf_counter() - started

    with atomic_directory(args.out, overwrite=args.overwrite) as folder:
        ids = graph.node_ids
        np.savetxt(folder / "nodes.txt", np.column_stack([np.arange(len(ids)), ids]).astype(str), fmt="%s",
                   delimiter="\t")
        if args.fmt == "tsv":
            _write_tsv(folder / "orbit_adjacency.tsv", matrices, ids)
        else:
            for key in progress(list(matrices), desc="writing"):
                write_matrix(folder / format_key(key), matrices[key], args.fmt)
        if counts is not None:
            header = "node\t" + "\t".join(f"o{o}" for o in range(NUM_ORBITS))
            table = np.column_stack([ids.astype(str), counts.astype(str)])
            np.savetxt(folder / "orbit_counts.tsv", table, fmt="%s", delimiter="\t", header=header, comments="")
        manifest = {
            "graphrep_version": graphrep.__version__,
            "input": source,
            "num_nodes": graph.num_nodes,
            "num_edges": graph.num_edges,
            "backend": matrices.backend,
            "seconds": round(seconds, 4),
            "format": args.fmt,
            "keys": [list(key) for key in matrices],
            "nnz": {format_key(key): int(matrix.nnz) for key, matrix in matrices.items()},
        }
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    _print_summary(matrices, graph, format_seconds(seconds, compiling.seconds), args.out)
    return 0


def _counts_from_rows(matrices) -> np.ndarray:
    """Orbit counts from row sums: a graphlet on s nodes holding u on orbit o
    adds 1 to the row of u in s - 1 of the matrices with o1 = o."""
    counts = np.zeros((matrices.num_nodes, NUM_ORBITS), dtype=np.int64)
    for (_, o1, _), matrix in matrices.items():
        counts[:, o1] += np.asarray(matrix.sum(axis=1), dtype=np.int64)
    others = np.array([GRAPHLET_SIZE[GRAPHLET_OF_ORBIT[o]] - 1 for o in range(NUM_ORBITS)])
    return counts // others


def _write_tsv(path: Path, matrices, ids: np.ndarray) -> None:
    with open(path, "w") as handle:
        handle.write("u\tv\thop\to1\to2\tcount\n")
        for key in progress(list(matrices), desc="writing"):
            coo = sp.coo_array(matrices[key])
            key_columns = np.broadcast_to(np.array(key, dtype=np.int64), (coo.nnz, 3))
            table = np.column_stack([ids[coo.row].astype(str), ids[coo.col].astype(str),
                                     key_columns.astype(str), coo.data.astype(str)])
            np.savetxt(handle, table, fmt="%s", delimiter="\t")


def _print_summary(matrices, graph, took: str, out: Path) -> None:
    print_summary(f"{graph.num_nodes} nodes, {graph.num_edges} edges; {len(matrices)} orbit adjacency matrices "
                  f"in {took} ({matrices.backend}) -> {out}",
                  f"{'matrix':<12}{'graphlet':>9}{'nonzeros':>12}{'total count':>14}",
                  *(f"{format_key(key):<12}{'G' + str(GRAPHLET_OF_ORBIT[key[1]]):>9}{matrix.nnz:>12}"
                    f"{int(matrix.sum()):>14}" for key, matrix in matrices.items()))
