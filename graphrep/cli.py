"""The ``graphrep`` command.

Each subcommand lives in its own module that defines ``add_arguments(parser)``
and ``run(args) -> int``; this module wires them up, configures logging and
turns user errors (bad input, dataset and unsafe files, bad destinations,
memory refusals) into one line on stderr and exit status 2 (``-v`` shows the
traceback instead). SIGTERM is handled like Ctrl-C: the run unwinds, its
half-written output is removed, and the exit status is 143 (130 for Ctrl-C).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import signal
import sys
import threading

import graphrep
from graphrep.io import Terminated, request_termination, termination_requested
from graphrep.utils import set_quiet

# name -> (module, one-line help); modules import lazily so `--help` is fast.
SUBCOMMANDS = {
    "orbits": ("graphrep.orbits.cli", "compute the 28 graphlet orbit adjacency matrices"),
}


class _Parser(argparse.ArgumentParser):
    """Reports a usage error in one line, as every other error is reported."""

    def error(self, message: str):
        self.exit(2, f"graphrep: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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


def _on_sigterm(signum, frame):
    request_termination()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.WARNING if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    logging.basicConfig(level=level, format="graphrep: %(message)s", stream=sys.stderr)
    set_quiet(args.quiet)
    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if in_main_thread else None
    request_termination(False)
    try:
        status = int(args.run(args) or 0)
        if not termination_requested():
            return status
        raise Terminated  # the handler's exception was lost inside an extension module
    except KeyboardInterrupt:
        print("graphrep: interrupted", file=sys.stderr)
        return 130
    except Terminated:
        print("graphrep: terminated", file=sys.stderr)
        return 143
    except (ValueError, OSError, MemoryError) as error:
        if args.verbose:
            raise
        message = str(error) or type(error).__name__
        print(f"graphrep: error: {' '.join(message.split())}", file=sys.stderr)
        return 2
    finally:
        if in_main_thread:
            signal.signal(signal.SIGTERM, previous)


def console_main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console_main()
