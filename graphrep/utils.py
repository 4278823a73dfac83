"""Small shared helpers: progress bars, seeding, run metadata, atomic files
and the time Numba spends compiling."""
from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import random
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any, Iterable, Iterator

__all__ = ["progress", "set_quiet", "is_quiet", "seed_everything", "environment", "write_json",
           "NumbaCompileClock", "numba_compile_clock"]

logger = logging.getLogger(__name__)

_quiet = False


def set_quiet(quiet: bool = True) -> None:
    """Silences (or restores) every graphrep progress bar, as ``-q`` does."""
    global _quiet
    _quiet = bool(quiet)


def is_quiet() -> bool:
    """Whether :func:`set_quiet` is on (``-q``: print errors only)."""
    return _quiet


def progress(iterable: Iterable | None = None, *, total: int | None = None, desc: str | None = None,
             disable: bool | None = None):
    """A tqdm bar on stderr that only appears for work longer than a couple of
    seconds, and never when :func:`set_quiet` is on."""
    from tqdm.auto import tqdm

    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False, delay=2.0,
                disable=_quiet if disable is None else disable, dynamic_ncols=True)


def seed_everything(seed: int) -> None:
    """Seeds Python's, numpy's and (when imported) torch's generators."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed % 2**32)
    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)


def environment() -> dict[str, Any]:
    """Versions and machine facts to store beside every measured number."""
    packages = ["graphrep", "torch", "torch_geometric", "numpy", "scipy", "numba", "ogb", "scikit-learn"]
    versions = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "versions": versions,
    }
    if "torch" in sys.modules:
        torch = sys.modules["torch"]
        info["torch_threads"] = torch.get_num_threads()
        info["cuda"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return info


def write_json(path: str | os.PathLike, payload: dict[str, Any]) -> Path:
    """Writes ``payload`` plus an ``environment`` entry as JSON, atomically
    (temporary file, then rename), and returns the path."""
    from graphrep.io import atomic_file  # io loads scipy: not at every import of utils

    path = Path(path)
    payload = {**payload, "environment": environment()}
    with atomic_file(path, overwrite=True) as temporary, open(temporary, "w") as out:
        json.dump(payload, out, indent=2, default=_json_default)
        out.write("\n")
    return path


class NumbaCompileClock:
    """Seconds Numba spent compiling inside :func:`numba_compile_clock`
    (``seconds``; 0 when every kernel came from the on-disk cache)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = 0
        self._started = 0.0

    def __repr__(self) -> str:
        return f"NumbaCompileClock(seconds={self.seconds:.3f})"


_compile_notice_given = False


@contextlib.contextmanager
def numba_compile_clock(*, notice: bool = True) -> Iterator[NumbaCompileClock]:
    """Measures the time Numba spends compiling kernels inside the block, so
    that a first run can report compilation and work apart.

    Only graphrep's own kernels count (they are cached on disk, so loading
    them later does not count either); Numba's helpers that compile on every
    run, such as the methods of ``numba.typed.List``, are part of the run's
    time. With ``notice``, the first compilation of the process logs (at
    INFO, on the ``graphrep`` logger the command line prints on stderr) that
    the kernels are being compiled and cached.

    Example:
        >>> with numba_compile_clock(notice=False) as clock:
        ...     total = sum(range(10))
        >>> clock.seconds
        0.0
    """
    from numba.core import event

    clock = NumbaCompileClock()

    def _ours(compile_event) -> bool:
        function = getattr(compile_event.data.get("dispatcher"), "py_func", None)
        return getattr(function, "__module__", "").startswith("graphrep.")

    class _Listener(event.Listener):
        # Compiling a kernel compiles the kernels it calls inside it: time
        # only the outermost compilation.
        def on_start(self, compile_event) -> None:
            global _compile_notice_given
            if not _ours(compile_event):
                return
            if clock._depth == 0:
                if notice and not _compile_notice_given:
                    _compile_notice_given = True
                    logger.info("compiling the Numba kernels (first run only: they are cached for next time)")
                clock._started = time.perf_counter()
            clock._depth += 1

        def on_end(self, compile_event) -> None:
            if not _ours(compile_event):
                return
            clock._depth -= 1
            if clock._depth == 0:
                clock.seconds += time.perf_counter() - clock._started

    with event.install_listener("numba:compile", _Listener()):
        yield clock


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in JSON")
