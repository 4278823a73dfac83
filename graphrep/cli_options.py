"""Options and steps that every ``graphrep`` subcommand shares: where the
graph comes from (an edge-list file, standard input or a named dataset),
how the file is decoded, and where the result goes (``-o``, ``--overwrite``).

Subcommand modules call :func:`add_graph_input` and
:func:`add_output_options` in their ``add_arguments``, and
:func:`check_output_options` then :func:`read_graph_input` at the start of
their ``run``, so every command reads input, names it and fails on it the
same way, and refuses a bad destination before any work (``--keys`` of orbit adjacency
matrices: :func:`parse_orbit_keys`). ``-o`` is a local path, or for an
output folder also an fsspec URL, passed on as written. They print their summary with
:func:`print_summary` (silent under ``-q``), state times with
:func:`format_seconds` (compilation of the Numba kernels apart, measured
with :func:`graphrep.utils.numba_compile_clock`), write single files with
:func:`graphrep.io.atomic_file` and check numeric options with
:func:`positive_int`, :func:`non_negative_int` and :func:`positive_float`.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path

from graphrep.graph import CSRGraph, as_graph
from graphrep.io import check_output_target, is_url, local_path, remove_stale_partials
from graphrep.utils import is_quiet

__all__ = ["add_graph_input", "add_output_options", "check_output_options", "read_graph_input", "print_summary",
           "format_seconds", "parse_orbit_keys", "positive_int", "non_negative_int", "positive_float"]


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


def add_output_options(parser: argparse.ArgumentParser, *, metavar: str = "OUT", help: str = "output path",
                       urls: bool = False) -> None:
    """Adds ``-o/--out`` (required) and ``--overwrite``.

    ``-o`` is a ``Path``. With ``urls`` (an output folder written through
    fsspec), a URL (``scheme://...``, ``file://`` included) is kept as the
    string given, for the writer to open; without, a ``file://`` URL becomes
    the path it names and any other URL is a usage error."""
    def target(text: str) -> Path | str:
        if not is_url(text):
            return Path(text)
        if urls:
            return text
        local = local_path(text)
        if local is None:
            raise argparse.ArgumentTypeError(f"{text} is a URL, but {metavar} is a single local file: give a path")
        return local

    parser.add_argument("-o", "--out", required=True, type=target, metavar=metavar, help=help)
    parser.add_argument("--overwrite", action="store_true",
                        help=f"replace {metavar} if it is a previous graphrep output")


def check_output_options(args: argparse.Namespace, *, folder: bool = True) -> None:
    """Refuses ``-o`` before any work (see :func:`graphrep.io.check_output_target`):
    an existing destination without ``--overwrite``, a file or foreign
    folder, the current folder or an ancestor, a folder holding the input,
    an unwritable location. For an output folder, then removes what killed
    runs into the same destination left behind, so their space is free
    before this run starts. ``folder=False``: ``-o`` names a single file."""
    inputs = [args.input] if getattr(args, "input", None) else []
    check_output_target(args.out, overwrite=args.overwrite, inputs=inputs, folder=folder)
    local = local_path(args.out)
    if folder and local is not None:
        remove_stale_partials(local)


def read_graph_input(args: argparse.Namespace) -> tuple[CSRGraph, str]:
    """The canonical graph named by the options of :func:`add_graph_input`,
    and a short description of where it came from (for logs and manifests)."""
    if args.dataset:
        from graphrep.datasets import DatasetNotFoundError, load_graph

        try:
            return as_graph(load_graph(args.dataset, args.data_root)), f"dataset {args.dataset}"
        except DatasetNotFoundError as error:
            raise DatasetNotFoundError(error.command_line_message) from None  # names --data-root, not root=
    graph = as_graph(args.input, encoding=args.encoding, id_type="str" if args.string_ids else "auto")
    return graph, "standard input" if args.input == "-" else str(args.input)


def print_summary(*lines: str) -> None:
    """Prints a subcommand's result summary on stdout, unless ``-q`` is on."""
    if not is_quiet():
        for line in lines:
            print(line)


def format_seconds(seconds: float, compiling: float = 0.0) -> str:
    """``"1.234 s"``, or with time spent compiling Numba kernels (included
    in ``seconds``) stated apart: ``"0.021 s (plus 3.1 s compiling the Numba
    kernels, cached for next time)"``.

    Example:
        >>> format_seconds(3.2, compiling=3.1)
        '0.100 s (plus 3.1 s compiling the Numba kernels, cached for next time)'
    """
    if compiling < 0.05:
        return f"{seconds:.3f} s"
    return f"{max(seconds - compiling, 0.0):.3f} s (plus {compiling:.1f} s compiling the Numba kernels, cached for next time)"


def parse_orbit_keys(texts: list[str] | None):
    """The orbit adjacency keys of a ``--keys`` option (``None`` when it was
    not given); a bad key is an error naming ``--keys``."""
    if not texts:
        return None
    from graphrep.orbits.keys import parse_key

    try:
        return [parse_key(text) for text in texts]
    except ValueError as error:
        raise ValueError(f"--keys: {str(error).removeprefix('keys: ')}") from None


def positive_int(text: str) -> int:
    """argparse ``type``: an integer ``>= 1``."""
    return _integer(text, 1)


def non_negative_int(text: str) -> int:
    """argparse ``type``: an integer ``>= 0``."""
    return _integer(text, 0)


def _integer(text: str, low: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
    return value


def positive_float(text: str) -> float:
    """argparse ``type``: a finite number ``> 0``."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value
