"""Options and steps that every ``graphrep`` subcommand shares: where the
graph comes from (an edge-list file or a named dataset) and where the
result goes (``-o``, ``--overwrite``).

Subcommand modules call :func:`add_graph_input` and
:func:`add_output_options` in their ``add_arguments`` and
:func:`read_graph_input` in their ``run``, so every command reads input,
names it and fails on it the same way.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from graphrep.graph import CSRGraph, as_graph

__all__ = ["add_graph_input", "add_output_options", "read_graph_input"]


def add_graph_input(parser: argparse.ArgumentParser) -> None:
    """Adds ``INPUT`` (an edge-list file) or ``--dataset NAME``, and ``--data-root``."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("input", nargs="?", help="edge-list file (whitespace, comma or tab separated)")
    source.add_argument("--dataset", metavar="NAME",
                        help="a built-in or data-root graph instead of a file (karate, cora, airports-usa, "
                             "email-eu, ppi, ogbl-ddi, ...)")
    parser.add_argument("--data-root", help="data root for --dataset (default: $GRAPHREP_DATA)")


def add_output_options(parser: argparse.ArgumentParser, *, metavar: str = "OUT", help: str = "output path") -> None:
    """Adds ``-o/--out`` (required) and ``--overwrite``."""
    parser.add_argument("-o", "--out", required=True, type=Path, metavar=metavar, help=help)
    parser.add_argument("--overwrite", action="store_true", help=f"replace {metavar} if it exists")


def read_graph_input(args: argparse.Namespace) -> tuple[CSRGraph, str]:
    """The canonical graph named by the options of :func:`add_graph_input`,
    and a short description of where it came from (for logs and manifests)."""
    if args.dataset:
        from graphrep.datasets import load_graph

        return as_graph(load_graph(args.dataset, args.data_root)), f"dataset {args.dataset}"
    return as_graph(args.input), str(args.input)
