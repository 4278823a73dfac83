"""Where datasets live (the data root, read-only to graphrep, and the cache),
the errors every loader raises, and the small readers they share."""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Iterator

from graphrep._edgelist import excerpt, text_lines

__all__ = ["DatasetNotFoundError", "DatasetFormatError", "UnsafeFileError", "data_root", "cache_root",
           "dataset_folder", "fingerprint", "processed_path", "read_int_rows"]


class DatasetNotFoundError(FileNotFoundError):
    """A dataset's files are not in the data root; the message says which
    files to place where (graphrep never downloads).

    ``command_line_message`` says the same to a command-line user (the
    ``--data-root`` option rather than the ``root=`` argument)."""

    def __init__(self, message: str, command_line_message: str | None = None):
        super().__init__(message)
        self.command_line_message = command_line_message or message


class DatasetFormatError(ValueError):
    """A dataset file is malformed, truncated or lacks a field; the message
    names the file and, where there is one, the line."""


class UnsafeFileError(DatasetFormatError):
    """A dataset file would run code or build objects other than the plain
    arrays such files hold (a crafted pickle); it is never executed."""


def cache_root() -> Path:
    """``$GRAPHREP_CACHE``, else ``~/.cache/graphrep``."""
    return Path(os.environ.get("GRAPHREP_CACHE") or Path.home() / ".cache" / "graphrep")


def data_root(root: str | os.PathLike | None = None) -> Path:
    """Resolves the data root: ``root``, else ``$GRAPHREP_DATA``, else the cache root.

    Example:
        >>> str(data_root("/srv/graphs"))
        '/srv/graphs'
    """
    if root is not None:
        return Path(root)
    env = os.environ.get("GRAPHREP_DATA")
    return Path(env) if env else cache_root()


def dataset_folder(root: Path, subdir: str, required: list[str]) -> Path:
    """``root/subdir``, after checking that it holds ``required`` (paths
    relative to it). Loaders read the files in place: a data root is never
    written to, and nothing is copied.

    Raises:
        DatasetNotFoundError: one of ``required`` is missing; the message
            names the missing files and how to point graphrep at them.
    """
    folder = root / subdir
    missing = [name for name in required if not (folder / name).exists()]
    if missing:
        top = subdir.split("/")[0]
        message = (f"dataset files missing under {folder}: {', '.join(missing)}; place them there, or point graphrep "
                   f"at the folder that holds {top}/ ({{how}}); graphrep does not download")
        raise DatasetNotFoundError(message.format(how="root= in Python, --data-root on the command line, or "
                                                      "$GRAPHREP_DATA"),
                                   message.format(how="--data-root or $GRAPHREP_DATA"))
    return folder


def fingerprint(folder: Path, names: list[str] | None = None) -> list[list]:
    """``[relative path, size, mtime_ns]`` of ``names`` (default: every file
    under ``folder``), sorted: a processed copy made from these files is
    valid while the fingerprint is unchanged."""
    if names is None:
        names = [os.path.relpath(os.path.join(top, name), folder)
                 for top, _, files in os.walk(folder) for name in files]
    entries = []
    for name in sorted(names):
        stat = (folder / name).stat()
        entries.append([name.replace(os.sep, "/"), stat.st_size, stat.st_mtime_ns])
    return entries


def processed_path(folder: Path, kind: str) -> Path:
    """Where graphrep keeps its processed copy of the dataset in ``folder``:
    in the cache, under a name derived from the folder's absolute path (the
    data root itself is never written to)."""
    resolved = str(folder.resolve())
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:16]
    readable = re.sub(r"[^A-Za-z0-9_.-]+", "_", folder.name)[:40]
    return cache_root() / "processed" / kind / f"{readable}-{digest}.pt"


@contextlib.contextmanager
def malformed(path: Path | str, what: str = "file") -> Iterator[None]:
    """Turns the errors a library raises on a malformed, truncated or
    incomplete file (a bad gzip stream, a missing column, an unexpected
    shape) into one :class:`DatasetFormatError` naming ``path``."""
    try:
        yield
    except (DatasetFormatError, DatasetNotFoundError):
        raise
    except (ValueError, KeyError, IndexError, TypeError, EOFError, OSError, RuntimeError, AttributeError) as error:
        detail = " ".join(str(error).split()) or type(error).__name__
        if len(detail) > 160:
            detail = detail[:157] + "..."
        raise DatasetFormatError(f"{path}: malformed or truncated {what} ({type(error).__name__}: {detail})") from None


def read_int_rows(path: Path, *, min_columns: int, max_columns: int | None = None, header: bool = False,
                  ints: int | None = None) -> tuple[list[list[int]], list[int]]:
    """The rows of a whitespace-separated integer table, and the line of
    each row (blank lines and ``#`` comments skipped). ``header``: the first
    line is skipped when it is not all integers. ``ints``: only the first
    ``ints`` columns are read (the rest, weights, are checked to be numbers
    and dropped).

    Raises:
        DatasetFormatError: a row with too few or too many columns, or a
            field that is not an integer; the message names file and line.
    """
    rows: list[list[int]] = []
    numbers: list[int] = []
    first = True
    with text_lines(path, what="dataset file", error=DatasetFormatError) as (name, batches):
        for start, lines in batches:
            for number, line in enumerate(lines, start):
                fields = line.split()
                if not fields or fields[0].startswith("#"):
                    continue
                try:
                    values = [int(field) for field in fields[:ints]]
                    for field in fields[len(values):]:
                        float(field)  # a weight: checked, then dropped
                except ValueError:
                    if first and header:
                        first = False
                        continue
                    raise DatasetFormatError(f"{name}:{number}: expected numbers, got {excerpt(line)}") from None
                first = False
                if len(fields) < min_columns or (max_columns is not None and len(fields) > max_columns):
                    wanted = (f"{min_columns}" if max_columns == min_columns else
                              f"at least {min_columns}" if max_columns is None else f"{min_columns} to {max_columns}")
                    raise DatasetFormatError(f"{name}:{number}: expected {wanted} columns, got {len(fields)}: "
                                             f"{excerpt(line)}")
                rows.append(values)
                numbers.append(number)
    if not rows:
        raise DatasetFormatError(f"{name}: no data rows")
    return rows, numbers


def write_processed(path: Path, payload: dict) -> None:
    """Saves ``payload`` (tensors, numbers, strings, lists and dicts of
    them) with ``torch.save``, atomically: loadable with
    ``weights_only=True`` and no allow-list."""
    import torch

    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        torch.save(payload, temporary)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def read_processed(path: Path, source: list[list]) -> dict | None:
    """The payload saved at ``path`` if it was made from files with the
    fingerprint ``source``, else ``None`` (missing or stale: rebuild).

    Raises:
        UnsafeFileError: the file holds anything but plain tensors and
            containers (``weights_only=True`` refuses it; it never runs).
    """
    import pickle

    import torch

    if not path.exists():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        raise UnsafeFileError(f"{path}: refusing to load graphrep's processed copy: it holds objects other than "
                              f"tensors ({refusal_reason(error)}); nothing was run; delete the file to rebuild it") from None
    except (EOFError, RuntimeError, OSError, ValueError):
        return None  # truncated or from another torch: rebuild
    if not isinstance(payload, dict) or json.dumps(payload.get("source")) != json.dumps(source):
        return None
    return payload


def refusal_reason(error: Exception) -> str:
    """What ``torch.load(weights_only=True)`` refused, in a few words (its
    own message is several paragraphs)."""
    text = str(error)
    called = re.search(r"GLOBAL ([\w.]+)", text)
    if called:
        return f"it calls {called.group(1)[:80]}"
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = next((line for line in lines if not line.startswith("Weights only load failed")), type(error).__name__)
    return line if len(line) <= 120 else line[:117] + "..."
