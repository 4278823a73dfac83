"""Reading edge lists and writing results atomically."""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Iterator

import numpy as np
import scipy.io
import scipy.sparse as sp

from graphrep.graph import INT64_MAX, GraphFormatError

__all__ = ["read_edge_list", "atomic_directory", "write_matrix", "MATRIX_FORMATS"]

MATRIX_FORMATS = ("npz", "mtx")

_SEPARATORS = re.compile(r"[,\s]+")


def read_edge_list(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Reads an edge-list file.

    One edge per line, ids separated by whitespace, commas or tabs; lines
    starting with ``#`` or ``%`` are comments; columns after the second (a
    weight, a timestamp) are ignored with one warning. Node ids are integers
    (rows ordered by id) or, as soon as one id is not an integer, strings
    (rows in order of first appearance).

    Returns:
        ``(edges, node_ids)``: ``int64[E, 2]`` row indices and the id of each row.

    Raises:
        FileNotFoundError: the file does not exist.
        GraphFormatError: a malformed line, a negative or int64-overflowing id,
            or a file with no edges; the message names the file and line.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     p = os.path.join(d, "g.txt")
        ...     _ = Path(p).write_text("# u v\\n10 20\\n20,30\\n")
        ...     edges, ids = read_edge_list(p)
        >>> edges.tolist(), ids.tolist()
        ([[0, 1], [1, 2]], [10, 20, 30])
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"edge-list file not found: {path}")
    tokens: list[str] = []
    line_numbers: list[int] = []
    extra_columns_line = 0
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.strip()
            if not line or line[0] in "#%":
                continue
            fields = _SEPARATORS.split(line)
            if len(fields) < 2:
                raise GraphFormatError(
                    f"{path}:{number}: expected two node ids per line, got {line!r}"
                )
            if len(fields) > 2 and not extra_columns_line:
                extra_columns_line = number
            tokens += fields[:2]
            line_numbers.append(number)
    if not line_numbers:
        raise GraphFormatError(f"{path}: empty graph, the file holds no edges")
    if extra_columns_line:
        warnings.warn(
            f"{path}:{extra_columns_line}: columns after the second (weights?) are ignored",
            stacklevel=2,
        )
    ids = _parse_integer_ids(tokens, line_numbers, path)
    if ids is not None:
        node_ids, inverse = np.unique(ids, return_inverse=True)
    else:
        first_seen: dict[str, int] = {}
        inverse = np.fromiter(
            (first_seen.setdefault(tok, len(first_seen)) for tok in tokens),
            dtype=np.int64, count=len(tokens),
        )
        node_ids = np.empty(len(first_seen), dtype=object)
        node_ids[:] = list(first_seen)
    return inverse.reshape(-1, 2).astype(np.int64), node_ids


def _parse_integer_ids(tokens: list[str], line_numbers: list[int], path: Path) -> np.ndarray | None:
    """Integer ids as ``int64``, or ``None`` when some id is not an integer."""
    try:
        values = [int(tok) for tok in tokens]
    except ValueError:
        return None
    for position, value in enumerate(values):
        if value < 0 or value > INT64_MAX:
            problem = "is negative" if value < 0 else "overflows int64"
            raise GraphFormatError(
                f"{path}:{line_numbers[position // 2]}: node id {value} {problem}"
            )
    return np.array(values, dtype=np.int64)


@contextlib.contextmanager
def atomic_directory(target: str | os.PathLike, *, overwrite: bool = False) -> Iterator[Path]:
    """Yields a fresh temporary folder beside ``target`` and renames it to
    ``target`` when the block succeeds; on any error or interrupt the
    temporary folder is removed and ``target`` is left as it was.

    Example:
        >>> import tempfile, os
        >>> with tempfile.TemporaryDirectory() as d:
        ...     with atomic_directory(os.path.join(d, "out")) as tmp:
        ...         _ = (tmp / "a.txt").write_text("done")
        ...     sorted(os.listdir(os.path.join(d, "out")))
        ['a.txt']
    """
    target = Path(target)
    if target.exists() and not overwrite:
        raise FileExistsError(f"output folder already exists: {target} (use --overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if target.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        os.replace(target, retired / "old")
        os.replace(staging, target)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, target)


def write_matrix(stem: str | os.PathLike, matrix: sp.sparray, fmt: str = "npz") -> Path:
    """Writes a sparse matrix as ``stem.npz`` (scipy ``save_npz``) or
    ``stem.mtx`` (MatrixMarket coordinate, integer field) and returns the path."""
    if fmt not in MATRIX_FORMATS:
        raise ValueError(f"fmt must be one of {MATRIX_FORMATS}, got {fmt!r}")
    path = Path(f"{stem}.{fmt}")
    if fmt == "npz":
        sp.save_npz(path, sp.csr_array(matrix))
    else:
        field = "integer" if np.issubdtype(matrix.dtype, np.integer) else "real"
        scipy.io.mmwrite(path, sp.coo_array(matrix), field=field)
    return path
