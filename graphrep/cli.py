"""The ``graphrep`` command.

Each subcommand lives in its own module that defines ``add_arguments(parser)``
and ``run(args) -> int``; this module wires them up and sets how the command
speaks on stderr, the same for every subcommand:

* log lines and warnings as ``graphrep: ...`` and ``graphrep: warning: ...``
  (a warning about input names the input's file and line, never graphrep's
  source);
* user errors (bad input, dataset and unsafe files, bad destinations, usage
  errors, memory refusals) as one line ``graphrep: error: ...`` and exit
  status 2 (``-v`` shows the traceback instead);
* ``-q`` prints errors only: no summary, log, warning or progress bar;
* SIGTERM is handled like Ctrl-C: the run unwinds, its half-written output
  is removed, and the exit status is 143 (130 for Ctrl-C).

Subcommands print their summary with
:func:`graphrep.cli_options.print_summary` so that ``-q`` silences it.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
import warnings

import graphrep
from graphrep.io import Terminated, request_termination, termination_requested
from graphrep.utils import set_quiet

# name -> (module, one-line help); modules import lazily so `--help` is fast.
SUBCOMMANDS = {
    "orbits": ("graphrep.orbits.cli", "compute the 28 graphlet orbit adjacency matrices"),
    "counts": ("graphrep.orbits.counts_cli", "write the graphlet orbit counts of every node or edge"),
    "walks": ("graphrep.walks.cli", "sample uniform or node2vec random walks"),
    "embed": ("graphrep.embed.cli", "embed the nodes with GOPMI (graphlet orbits) or RWPMI (random walks)"),
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
        sub = commands.add_parser(name, help=help_text, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        verbosity = sub.add_mutually_exclusive_group()
        verbosity.add_argument("-q", "--quiet", action="store_true",
                               help="print errors only (no summary, log, warnings or progress bar)")
        verbosity.add_argument("-v", "--verbose", action="store_true", help="debug log; tracebacks on errors")
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


class _StderrHandler(logging.Handler):
    """Writes ``graphrep: message`` to the current ``sys.stderr``."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(f"graphrep: {record.getMessage()}", file=sys.stderr)
        except Exception:  # a broken stderr must not end the run
            self.handleError(record)


def _configure_logging(level: int) -> None:
    """One ``graphrep: ...`` handler on the ``graphrep`` logger, at ``level``."""
    logger = logging.getLogger("graphrep")
    for handler in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(handler)
    logger.addHandler(_StderrHandler())
    logger.setLevel(level)
    logger.propagate = False


def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """:func:`warnings.showwarning` for the command line: ``graphrep:
    warning: MESSAGE``. graphrep's warnings about input begin with the
    input's ``FILE:LINE``; the Python source that raised a warning is no
    business of a command-line user."""
    print(f"graphrep: warning: {message}", file=sys.stderr)


def _on_sigterm(signum, frame):
    request_termination()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    level = logging.ERROR if args.quiet else logging.DEBUG if args.verbose else logging.INFO
    _configure_logging(level)
    set_quiet(args.quiet)
    with warnings.catch_warnings():
        if args.quiet:
            warnings.simplefilter("ignore")
        else:
            warnings.simplefilter("default")  # each distinct warning once per run
            for developer_warning in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
                warnings.filterwarnings("ignore", category=developer_warning)  # for developers, not users
            warnings.showwarning = show_warning
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
        except BrokenPipeError:
            # The reader of stdout left (`graphrep ... | head`): the output
            # file is complete; stop quietly, as other tools do.
            _silence_stdout()
            return 141
        except (ValueError, OSError, MemoryError) as error:
            if args.verbose:
                raise
            message = " ".join(str(error).split()) or type(error).__name__
            print(f"graphrep: error: {message}", file=sys.stderr)
            return 2
        finally:
            set_quiet(False)
            if in_main_thread:
                signal.signal(signal.SIGTERM, previous)


def _silence_stdout() -> None:
    """Points stdout at the null device, so that the flush at exit cannot
    fail on a closed pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout is not a file (a test's capture)
        pass


def console_main() -> None:
    sys.exit(main())


if __name__ == "__main__":
    console_main()
