"""The ``graphrep`` command.

Each subcommand lives in its own module that defines ``add_arguments(parser)``
and ``run(args) -> int``; this module wires them up, configures logging and
turns user errors into one line on stderr and exit status 2 (``-v`` shows
the traceback instead).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys

import graphrep
from graphrep.utils import set_quiet

# name -> (module, one-line help); modules import lazily so `--help` is fast.
SUBCOMMANDS = {
    "orbits": ("graphrep.orbits.cli", "compute the 28 graphlet orbit adjacency matrices"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="graphrep",
        description="Graph representation learning for PyTorch Geometric users.",
    )
    parser.add_argument("--version", action="version", version=f"graphrep {graphrep.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, help_text) in SUBCOMMANDS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=help_text, description=module.__doc__)
        verbosity = sub.add_mutually_exclusive_group()
        verbosity.add_argument("-q", "--quiet", action="store_true", help="no progress bar, warnings only")
        verbosity.add_argument("-v", "--verbose", action="store_true", help="debug log; tracebacks on errors")
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="graphrep: %(message)s", stream=sys.stderr)
    set_quiet(args.quiet)
    try:
        return int(args.run(args) or 0)
    except KeyboardInterrupt:
        print("graphrep: interrupted", file=sys.stderr)
        return 130
    except (ValueError, OSError, MemoryError) as error:
        if args.verbose:
            raise
        print(f"graphrep: error: {error}", file=sys.stderr)
        return 2


def console_main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console_main()
