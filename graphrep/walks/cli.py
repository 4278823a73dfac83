"""Sample random walks from every node of a graph and write them to one file.

OUT ending in .txt (or any other suffix): one walk a line, the original node
ids separated by spaces (the corpus format of word2vec and gensim). OUT
ending in .npy: an int64 array [walks, length + 1] of row indices, plus
OUT's stem + .nodes.txt mapping each row index to its node id.

Walks are uniform (DeepWalk) unless -p/--return or --in-out differ from 1
(node2vec's p and q; q is not -q, which silences the command). There are
--per-node rounds; round r holds one walk from every node, in row order.
The walks depend on --seed only. The file appears only once it is complete.

example:
  graphrep walks --dataset karate -o walks.txt --length 10 --per-node 5 -p 0.5 --in-out 2
"""
from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

import numpy as np

from graphrep.cli_options import (
    add_graph_input,
    add_output_options,
    check_output_options,
    format_seconds,
    non_negative_int,
    positive_float,
    positive_int,
    print_summary,
    read_graph_input,
)
from graphrep.io import atomic_file
from graphrep.utils import numba_compile_clock, progress

logger = logging.getLogger(__name__)

#: Walks sampled (and written) at once: bounds memory whatever the graph,
#: and fixes which walks a seed gives.
CHUNK_WALKS = 2**16


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_graph_input(parser)
    add_output_options(parser, help="output file: .npy for row indices, anything else for text")
    parser.add_argument("--length", type=positive_int, default=80, metavar="L",
                        help="steps per walk (default 80); each walk holds L + 1 nodes")
    parser.add_argument("--per-node", type=positive_int, default=10, metavar="R",
                        help="walks from every node (default 10)")
    parser.add_argument("-p", "--return", type=positive_float, default=1.0, metavar="P", dest="return_p",
                        help="node2vec return parameter p (default 1)")
    parser.add_argument("--in-out", type=positive_float, default=1.0, metavar="Q",
                        help="node2vec in-out parameter q (default 1)")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="random seed (default 0)")


def run(args: argparse.Namespace) -> int:
    check_output_options(args, folder=False)
    graph, source = read_graph_input(args)
    logger.info("%s: %d nodes, %d edges", source, graph.num_nodes, graph.num_edges)
    kind = "uniform" if args.return_p == 1.0 and args.in_out == 1.0 else \
        f"node2vec, p = {args.return_p:g}, q = {args.in_out:g}"

    started = time.perf_counter()
    with numba_compile_clock() as compiling:
        if args.out.suffix == ".npy":
            nodes_path = args.out.with_name(args.out.stem + ".nodes.txt")
            with atomic_file(args.out, overwrite=args.overwrite) as npy, \
                    atomic_file(nodes_path, overwrite=args.overwrite) as nodes:
                _write_npy(npy, graph, args)
                _write_node_ids(nodes, graph.node_ids)
        else:
            with atomic_file(args.out, overwrite=args.overwrite) as text:
                _write_text(text, graph, args)
    seconds = time.perf_counter() - started
    total = graph.num_nodes * args.per_node
    print_summary(f"{graph.num_nodes} nodes, {graph.num_edges} edges; {total} walks of {args.length} steps "
                  f"({kind}) in {format_seconds(seconds, compiling.seconds)} -> {args.out}")
    return 0


def _chunks(graph, args: argparse.Namespace):
    """Walks in order, ``CHUNK_WALKS`` at a time: ``int64[k, length + 1]``."""
    from graphrep.walks import sample_walks

    n = graph.num_nodes
    total = n * args.per_node
    bar = progress(total=total, desc="walks")
    for index, first in enumerate(range(0, total, CHUNK_WALKS)):
        start = np.arange(first, min(first + CHUNK_WALKS, total), dtype=np.int64) % n
        chunk_seed = int(np.random.SeedSequence([args.seed, index]).generate_state(1)[0])
        yield sample_walks(graph, start, args.length, p=args.return_p, q=args.in_out, seed=chunk_seed)
        bar.update(len(start))
    bar.close()


def _write_text(path: Path, graph, args: argparse.Namespace) -> None:
    ids = graph.node_ids.astype(str)
    with open(path, "w", encoding="utf-8") as handle:
        for walks in _chunks(graph, args):
            np.savetxt(handle, ids[walks], fmt="%s", delimiter=" ")


def _write_npy(path: Path, graph, args: argparse.Namespace) -> None:
    shape = (graph.num_nodes * args.per_node, args.length + 1)
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.int64, shape=shape)
    row = 0
    for walks in _chunks(graph, args):
        out[row:row + len(walks)] = walks
        row += len(walks)
    out.flush()
    del out


def _write_node_ids(path: Path, node_ids: np.ndarray) -> None:
    table = np.column_stack([np.arange(len(node_ids)), node_ids]).astype(str)
    np.savetxt(path, table, fmt="%s", delimiter="\t")
