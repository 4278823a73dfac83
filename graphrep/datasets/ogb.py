"""OGB datasets through ``ogb``'s own PyG dataset classes, offline, on
current torch.

``ogb`` 1.3.6 calls ``torch.load`` without ``weights_only``; since torch 2.6
that defaults to ``True`` and rejects OGB's processed files (PyG ``Data``)
and split files (numpy arrays). graphrep keeps ``weights_only=True`` and
allow-lists exactly the classes those files hold, inside a
``torch.serialization.safe_globals`` block around ogb's own loading calls:
no process-wide setting, and nothing else becomes unpicklable.
"""
from __future__ import annotations

import contextlib
import functools
import os

from graphrep.datasets._root import data_root, staged_copy

_TASKS = {"ogbl": "linkproppred", "ogbn": "nodeproppred", "ogbg": "graphproppred"}


def _safe_globals():
    import numpy as np
    import numpy.dtypes
    import torch
    from torch_geometric.data.data import Data, DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import GlobalStorage

    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtypes = [type(np.dtype(code)) for code in "?bBhHiIlLqQefdgFD"]
    allowed = [Data, DataEdgeAttr, DataTensorAttr, GlobalStorage, np.ndarray, np.dtype, *dtypes]
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        # processed files hold arrays; DatasetSaver's files also numpy scalars
        allowed += [(_reconstruct, f"{module}._reconstruct"), (scalar, f"{module}.scalar")]
    if hasattr(torch.serialization, "safe_globals"):
        return torch.serialization.safe_globals(allowed)
    return contextlib.nullcontext()  # torch < 2.4 loads with weights_only=False


def _ogb_loading(method):
    @functools.wraps(method)
    def wrapped(*args, **kwargs):
        with _safe_globals():
            return method(*args, **kwargs)

    return wrapped


@functools.cache
def _dataset_class(task: str):
    """ogb's Pyg dataset class for ``task`` with its loading calls wrapped."""
    import importlib

    class_name = {
        "linkproppred": "PygLinkPropPredDataset",
        "nodeproppred": "PygNodePropPredDataset",
        "graphproppred": "PygGraphPropPredDataset",
    }[task]
    base = getattr(importlib.import_module(f"ogb.{task}"), class_name)
    methods = {"__init__": _ogb_loading(base.__init__)}
    for name in ("get_edge_split", "get_idx_split"):
        if hasattr(base, name):
            methods[name] = _ogb_loading(getattr(base, name))
    return type(base.__name__, (base,), methods)


def ogb_version(name: str) -> str:
    """The dataset version from ogb's master table (its ``RELEASE_v*.txt``)."""
    import importlib

    import pandas as pd

    task = _task(name)
    module = importlib.import_module(f"ogb.{task}")
    master = pd.read_csv(
        os.path.join(os.path.dirname(module.__file__), "master.csv"),
        index_col=0, keep_default_na=False,
    )
    if name not in master:
        raise ValueError(f"unknown OGB dataset {name!r}; ogb knows {', '.join(master.keys())}")
    return str(master[name]["version"])


def _task(name: str) -> str:
    task = _TASKS.get(name.split("-")[0])
    if task is None:
        raise ValueError(f"name must start with ogbl-, ogbn- or ogbg-, got {name!r}")
    return task


def load_ogb(name: str, root: str | os.PathLike | None = None, *, meta_dict: dict | None = None,
             **kwargs):
    """Loads an OGB dataset (``ogbl-*``, ``ogbn-*``, ``ogbg-*``) with ogb's
    own PyG dataset class, from ``<root>/ogb/<name with underscores>/``.

    The folder must hold what ogb's download unpacks (``raw/``, ``split/``,
    ``RELEASE_v<version>.txt``); graphrep never downloads, it fails at once
    with a message naming the missing files. The returned dataset's
    ``get_edge_split`` / ``get_idx_split`` work on torch >= 2.6.

    ``meta_dict`` loads a dataset written with ``ogb.io.DatasetSaver`` (its
    ``get_meta_dict()``), from the folder it names; ``root`` is then unused.

    Extra keyword arguments (``transform``, ``pre_transform``) go to the
    dataset class.
    """
    task = _task(name)
    if meta_dict is not None:
        return _dataset_class(task)(name=name, meta_dict=meta_dict, **kwargs)
    folder_name = name.replace("-", "_")
    required = [f"RELEASE_v{ogb_version(name)}.txt", "raw"]
    folder = staged_copy(data_root(root), f"ogb/{folder_name}", required)
    return _dataset_class(task)(name=name, root=str(folder.parent), **kwargs)
