"""Memory budgets for the orbit adjacency computation: sizes such as
``"600M"``, the memory available now, the refusal error, and the model of
what a computation holds.

``max_memory`` bounds the resident memory of the process: what it holds
when the call starts (the interpreter, the imported libraries, the graph)
plus what the computation adds: the kernel's per-graph arrays and
per-thread scratch, and the output rows it keeps (all of them in memory, one
row block when streaming). The default is what the process holds now plus
80% of the memory available now.
"""
from __future__ import annotations

import os
import re

__all__ = ["OutputTooLargeError", "parse_size", "format_size", "available_memory", "resident_memory",
           "resolve_budget", "ENTRY_BYTES", "ROW_BYTES"]


class OutputTooLargeError(MemoryError):
    """Raised before computing when the estimated output does not fit the
    memory budget (or the disk); the message gives the estimate and the ways
    out: fewer keys, streaming to disk, a cluster."""


_SIZE = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgtp]?)(i?b?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40, "p": 2**50}

#: Bytes per output entry while a row block is held: its column and value
#: (int64 each) in the kernel's buffers, handed over page by page (C++), or
#: the Numba kernel's entry stream (column, value, key; grown by doubling)
#: next to the per-key copies.
ENTRY_BYTES = {"cpp": 16, "numba": 48}
#: Bytes per row of a block: its entry counts for the 28 keys.
ROW_BYTES = 28 * 8


def parse_size(text: str | int | float) -> int:
    """Bytes in a size such as ``"600M"``, ``"4G"``, ``"1.5GiB"`` or ``2**30``
    (binary units).

    Example:
        >>> parse_size("600M"), parse_size("4G"), parse_size(1024)
        (629145600, 4294967296, 1024)
    """
    if isinstance(text, bool):
        raise ValueError(f"max_memory must be a size such as 600M or 4G, got {text!r}")
    if isinstance(text, (int, float)):
        value = float(text)
    else:
        match = _SIZE.match(str(text))
        if not match:
            raise ValueError(f"max_memory must be a size such as 600M or 4G, got {text!r}")
        value = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not value > 0:
        raise ValueError(f"max_memory must be positive, got {text!r}")
    return int(value)


def format_size(size: float) -> str:
    """``1.5 GB``-style text (binary units).

    Example:
        >>> format_size(629145600), format_size(1536)
        ('600 MB', '1.5 kB')
    """
    for unit, scale in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if size >= scale:
            value = size / scale
            return f"{value:.3g} {unit}" if value < 100 else f"{value:.0f} {unit}"
    return f"{int(size)} B"


def available_memory() -> int:
    """Bytes of memory available now (``MemAvailable`` on Linux; psutil or
    ``sysconf`` elsewhere).

    Example:
        >>> available_memory() > 0
        True
    """
    try:
        with open("/proc/meminfo") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil
    except ImportError:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return int(psutil.virtual_memory().available)


def resident_memory() -> int:
    """Bytes of memory this process holds now (``VmRSS`` on Linux; psutil, or
    the peak from ``getrusage``, elsewhere).

    Example:
        >>> resident_memory() > 0
        True
    """
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import psutil
    except ImportError:
        import resource
        import sys

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)
    return int(psutil.Process().memory_info().rss)


def resolve_budget(max_memory) -> int:
    """``max_memory`` in bytes; ``None`` means what the process holds now
    plus 80% of the memory available now."""
    if max_memory is None:
        return resident_memory() + int(0.8 * available_memory())
    return parse_size(max_memory)
