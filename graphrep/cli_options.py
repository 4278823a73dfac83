"""Options and steps that every ``graphrep`` subcommand shares: where the
graph comes from (an edge-list file, standard input or a named dataset),
how the file is decoded, and where the result goes (``-o``, ``--overwrite``).

Subcommand modules call :func:`add_graph_input` and
:func:`add_output_options` in their ``add_arguments``, and
:func:`check_output_options` then :func:`read_graph_input` at the start of
their ``run``, so every command reads input, names it and fails on it the
same way, and refuses a bad destination before any work.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from graphrep.graph import CSRGraph, as_graph
from graphrep.io import check_output_target, remove_stale_partials

__all__ = ["add_graph_input", "add_output_options", "check_output_options", "read_graph_input"]


def add_graph_input(parser: argparse.ArgumentParser) -> None:
    """Adds ``INPUT`` (an edge-list file, ``-`` for standard input) or
    ``--dataset NAME``, and ``--data-root``, ``--encoding``, ``--string-ids``."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("input", nargs="?",
                        help="edge-list file (whitespace, comma or tab separated; plain, gzip, bzip2 or xz); "
                             "- reads standard input")
    source.add_argument("--dataset", metavar="NAME",
                        help="a built-in or data-root graph instead of a file (karate, cora, airports-usa, "
                             "email-eu, ppi, ogbl-ddi, ...)")
    parser.add_argument("--data-root", help="data root for --dataset (default: $GRAPHREP_DATA)")
    parser.add_argument("--encoding", metavar="CODEC",
                        help="text encoding of INPUT, any Python codec name (default: strict UTF-8)")
    parser.add_argument("--string-ids", action="store_true",
                        help="read the node ids of INPUT as strings exactly as written (default: integers when "
                             "every id is one, else strings; a non-integer number such as 1.5 is an error)")


def add_output_options(parser: argparse.ArgumentParser, *, metavar: str = "OUT", help: str = "output path") -> None:
    """Adds ``-o/--out`` (required) and ``--overwrite``."""
    parser.add_argument("-o", "--out", required=True, type=Path, metavar=metavar, help=help)
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace {metavar} if it is a previous graphrep output folder")


def check_output_options(args: argparse.Namespace) -> None:
    """Refuses ``-o`` before any work (see :func:`graphrep.io.check_output_target`):
    an existing destination without ``--overwrite``, a file or foreign
    folder, the current folder or an ancestor, a folder holding the input,
    an unwritable location. Then removes what killed runs into the same
    destination left behind, so their space is free before this run starts."""
    inputs = [args.input] if getattr(args, "input", None) else []
    check_output_target(args.out, overwrite=args.overwrite, inputs=inputs)
    remove_stale_partials(args.out)


def read_graph_input(args: argparse.Namespace) -> tuple[CSRGraph, str]:
    """The canonical graph named by the options of :func:`add_graph_input`,
    and a short description of where it came from (for logs and manifests)."""
    if args.dataset:
        from graphrep.datasets import load_graph

        return as_graph(load_graph(args.dataset, args.data_root)), f"dataset {args.dataset}"
    graph = as_graph(args.input, encoding=args.encoding, id_type="str" if args.string_ids else "auto")
    return graph, "standard input" if args.input == "-" else str(args.input)
