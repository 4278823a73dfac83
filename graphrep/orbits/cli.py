"""Compute the 28 graphlet orbit adjacency matrices of a graph and write them
to a folder: one file per matrix (h{hop}_o{o1}_o{o2}.npz or .mtx) or one
long TSV, plus nodes.txt (row index -> node id) and manifest.json. The size
is estimated first (--estimate prints the estimate and stops); outputs
larger than --max-memory are computed in row blocks streamed to disk, on
this machine or on a Dask cluster (--workers, --scheduler). The folder
appears only when everything is written."""
from __future__ import annotations

import argparse
import json
import logging

from graphrep.cli_options import (add_graph_input, add_output_options, check_output_options, format_seconds,
                                  parse_orbit_keys, positive_int, print_summary, read_graph_input)
from graphrep.orbits._engine import BACKENDS
from graphrep.orbits.budget import format_size, parse_size, resident_memory, resolve_budget
from graphrep.orbits.estimate import estimate
from graphrep.orbits.keys import GRAPHLET_OF_ORBIT, format_key
from graphrep.orbits.writer import FORMATS, write_orbit_adjacency
from graphrep.utils import numba_compile_clock

logger = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_graph_input(parser)
    add_output_options(parser, metavar="OUTDIR", urls=True,
                       help="output folder, a path or an fsspec URL such as s3://bucket/out (not needed with "
                            "--estimate)")
    # -o is required except with --estimate, which writes nothing
    next(action for action in parser._actions if action.dest == "out").required = False
    parser.add_argument("--backend", choices=BACKENDS, default="auto", help="kernel (default: auto = C++ when built)")
    parser.add_argument("--format", choices=FORMATS, default="npz", dest="fmt",
                        help="npz (scipy save_npz), mtx (MatrixMarket) or tsv (u v hop o1 o2 count, node ids)")
    parser.add_argument("--keys", nargs="+", metavar="KEY", help="only these matrices, e.g. h1_o0_o0 h2_o1_o1")
    parser.add_argument("--counts", action="store_true", help="also write orbit_counts.tsv (15 orbits per node)")
    parser.add_argument("--estimate", action="store_true",
                        help="print the expected nonzeros, memory, disk and time, and stop")
    parser.add_argument("--max-memory", metavar="SIZE", type=_size,
                        help="peak memory of the process, e.g. 600M or 4G (default: what it holds plus 80%% "
                             "of the memory available now; per worker with --workers/--scheduler); larger "
                             "outputs are streamed to disk in row blocks")
    parser.add_argument("--block-rows", type=positive_int, metavar="ROWS",
                        help="rows per streamed block (default: sized from the estimate and --max-memory)")
    parser.add_argument("--threads", type=positive_int, metavar="N", help="kernel threads (default: all cores)")
    cluster = parser.add_mutually_exclusive_group()
    cluster.add_argument("--scheduler", metavar="ADDRESS",
                         help="run the row blocks on this dask.distributed scheduler (e.g. tcp://host:8786); "
                              "OUTDIR must be reachable from every worker")
    cluster.add_argument("--workers", type=positive_int, metavar="N",
                         help="run the row blocks on a local Dask cluster of N worker processes")


def _size(text: str) -> int:
    try:
        return parse_size(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error).replace("max_memory", "--max-memory")) from None


def run(args: argparse.Namespace) -> int:
    keys = parse_orbit_keys(args.keys)
    if not args.estimate:
        if args.out is None:
            raise ValueError("-o/--out OUTDIR is required (or use --estimate)")
        check_output_options(args)
    graph, source = read_graph_input(args)
    logger.info("%s: %d nodes, %d edges", source, graph.num_nodes, graph.num_edges)
    if args.estimate:
        print(estimate(graph, keys=keys, backend=args.backend, num_threads=args.threads))
        print(f"max memory: {format_size(resolve_budget(args.max_memory))} "
              f"(this process holds {format_size(resident_memory())})")
        return 0
    client = _client(args)
    try:
        with numba_compile_clock() as compiling:
            manifest = write_orbit_adjacency(
                graph, args.out, keys=keys, format=args.fmt, max_memory=args.max_memory,
                block_rows=args.block_rows, client=client, backend=args.backend, num_threads=args.threads,
                overwrite=args.overwrite, counts=args.counts, source=source)
    finally:
        if client is not None:
            _close(client, own_cluster=args.workers is not None)
    _print_summary(manifest, format_seconds(manifest["seconds"], compiling.seconds), args.out)
    return 0


def _client(args: argparse.Namespace):
    if args.workers is None and args.scheduler is None:
        return None
    from graphrep.orbits import distributed

    return distributed.local_client(args.workers) if args.workers else distributed.connect(args.scheduler)


def _close(client, *, own_cluster: bool) -> None:
    cluster = client.cluster if own_cluster else None
    client.close()
    if cluster is not None:
        cluster.close()


def _print_summary(manifest: dict, took: str, out) -> None:
    how = (f"{manifest['row_blocks']} row blocks streamed" if manifest["streamed"] else "in memory")
    workers = f" on {manifest['workers']} Dask workers" if manifest.get("workers") else ""
    print_summary(f"{manifest['num_nodes']} nodes, {manifest['num_edges']} edges; {len(manifest['keys'])} orbit "
                  f"adjacency matrices in {took} ({manifest['backend']}, {how}{workers}) -> {out}",
                  f"{'matrix':<12}{'graphlet':>9}{'nonzeros':>14}",
                  *(f"{format_key(key):<12}{'G' + str(GRAPHLET_OF_ORBIT[key[1]]):>9}"
                    f"{manifest['nnz'][format_key(key)]:>14}" for key in manifest["keys"]))
    logger.debug("manifest: %s", json.dumps(manifest))
