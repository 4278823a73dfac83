"""Loading the pickled arrays of Planetoid raw files without running code.

The ``ind.<name>.{x,tx,allx,y,ty,ally,graph}`` files of Planetoid (written
by Python 2) are pickles of a scipy CSR matrix, a numpy array or a
``defaultdict`` of lists. A pickle can name any importable callable, so an
ordinary ``pickle.load`` of a crafted file runs its payload. Here the
unpickler resolves only the few classes those files hold, under the names
Python 2 and 3 and numpy 1 and 2 give them; any other name raises
:class:`~graphrep.datasets.UnsafeFileError` before anything is called. The
loaded objects are then checked to be what the file should hold.
"""
from __future__ import annotations

import collections
import pickle
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from graphrep.datasets._root import DatasetFormatError, UnsafeFileError

__all__ = ["load_planetoid_pickle"]


def _numpy_internals():
    try:
        from numpy._core.multiarray import _reconstruct
        from numpy._core.numeric import _frombuffer
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct
        from numpy.core.numeric import _frombuffer
    return _reconstruct, _frombuffer


def _latin1_bytes(text: str, encoding: str = "latin1") -> bytes:
    """How Python 3 writes a ``bytes`` value in a protocol-2 pickle
    (``_codecs.encode(text, "latin1")``); no other codec is run."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise UnsafeFileError("refusing to load: the pickle calls _codecs.encode with another codec than latin-1; "
                              "nothing was run")
    return text.encode("latin-1")


_RECONSTRUCT, _FROMBUFFER = _numpy_internals()

# (module, name) as written in the file -> the object it stands for: the
# classes of Planetoid's files under the names Python 2 (the published
# files) and Python 3 (protocols 2 to 5) and numpy 1 and 2 give them
_ALLOWED = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("scipy.sparse.csr", "csr_matrix"): sp.csr_matrix,
    ("scipy.sparse._csr", "csr_matrix"): sp.csr_matrix,
    ("collections", "defaultdict"): collections.defaultdict,
    ("__builtin__", "list"): list,
    ("builtins", "list"): list,
    ("_codecs", "encode"): _latin1_bytes,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def __init__(self, handle, path: Path):
        super().__init__(handle, encoding="latin1")
        self.path = path

    def find_class(self, module: str, name: str):
        allowed = _ALLOWED.get((module, name))
        if allowed is None:
            shown = f"{module}.{name}"
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise UnsafeFileError(
                f"{self.path}: refusing to load: the pickle calls {shown}, which a Planetoid file never holds "
                "(a crafted or foreign file?); nothing was run")
        return allowed

    def persistent_load(self, pid):
        raise UnsafeFileError(f"{self.path}: refusing to load: the pickle uses persistent ids")


def load_planetoid_pickle(path: Path, kind: str):
    """The object in one Planetoid raw file, checked against ``kind``:
    ``"matrix"`` (features: a CSR matrix or 2-D numeric array, returned as a
    dense ``float32`` array), ``"labels"`` (a 2-D numeric array) or
    ``"graph"`` (a dict of int -> list of int).

    Raises:
        UnsafeFileError: the pickle names anything but the allowed classes.
        DatasetFormatError: a truncated or corrupt pickle, or an object of
            another kind.
    """
    try:
        with open(path, "rb") as handle:
            loaded = _RestrictedUnpickler(handle, path).load()
    except UnsafeFileError as error:
        if str(error).startswith(str(path)):
            raise
        raise UnsafeFileError(f"{path}: {error}") from None
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError, KeyError,
            MemoryError) as error:
        detail = " ".join(str(error).split())[:120] or type(error).__name__
        raise DatasetFormatError(f"{path}: truncated or corrupt pickle ({detail})") from None
    if kind == "graph":
        return _checked_graph(loaded, path)
    return _checked_array(loaded, path, kind)


def _checked_array(loaded, path: Path, kind: str) -> np.ndarray:
    if isinstance(loaded, sp.spmatrix):
        try:
            matrix = sp.csr_array((loaded.data, loaded.indices, loaded.indptr), shape=loaded.shape)
            matrix.check_format(full_check=True)
        except (AttributeError, ValueError, TypeError) as error:
            raise DatasetFormatError(f"{path}: inconsistent sparse matrix ({error})") from None
        array = matrix.toarray()
    elif isinstance(loaded, np.ndarray):
        array = loaded
    else:
        raise DatasetFormatError(f"{path}: expected a {kind} array, found a {type(loaded).__name__}")
    if array.ndim != 2 or array.dtype.kind not in "biuf":
        raise DatasetFormatError(f"{path}: expected a 2-D numeric {kind} array, found {array.ndim}-D {array.dtype}")
    return array.astype(np.float32)


def _checked_graph(loaded, path: Path) -> dict[int, list[int]]:
    if not isinstance(loaded, dict):
        raise DatasetFormatError(f"{path}: expected a dict of adjacency lists, found a {type(loaded).__name__}")
    for node, neighbours in loaded.items():
        if not _is_int(node) or not isinstance(neighbours, list) or not all(map(_is_int, neighbours)):
            raise DatasetFormatError(f"{path}: the adjacency list of node {str(node)[:40]!r} is not a list of "
                                     "integer node ids")
    return loaded


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)
