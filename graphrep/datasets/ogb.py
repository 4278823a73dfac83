"""OGB datasets, offline, read from OGB's on-disk layout without running code.

ogb's own dataset classes call ``torch.load`` on their processed and split
files without ``weights_only``; with ``TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD=1``
(or on torch < 2.6) that unpickles whatever the file holds. graphrep reads
the same files itself instead: the CSV or ``.npz`` raw files with pandas and
numpy (no pickle), the split files with ``torch.load(weights_only=True)``
and an allow-list of exactly the numpy classes they hold (an explicit
``weights_only=True`` is not overridden by that variable). The graphs are
built as ogb's ``Pyg*PropPredDataset`` builds them, and kept in graphrep's
cache as plain tensors, rebuilt when the raw files change.
"""
from __future__ import annotations

import contextlib
import functools
import os
import pickle
import warnings
import zlib
from pathlib import Path
from typing import Any, Callable

import numpy as np

from graphrep.datasets._root import (
    DatasetFormatError, UnsafeFileError, data_root, dataset_folder, fingerprint, malformed, processed_path,
    read_processed, refusal_reason, write_processed,
)

__all__ = ["load_ogb", "ogb_version"]

_TASKS = {"ogbl": "linkproppred", "ogbn": "nodeproppred", "ogbg": "graphproppred"}
_PROCESSED_FORMAT = 1


def ogb_version(name: str) -> str:
    """The dataset version from ogb's master table (its ``RELEASE_v*.txt``)."""
    return str(_master_entry(name)["version"])


def load_ogb(name: str, root: str | os.PathLike | None = None, *, meta_dict: dict | None = None,
             transform: Callable | None = None, pre_transform: Callable | None = None):
    """Loads an OGB dataset (``ogbl-*``, ``ogbn-*``, ``ogbg-*``; homogeneous
    graphs) from ``<root>/ogb/<name with underscores>/`` as an
    :class:`~graphrep.datasets.OGBDataset` equal to ogb's own PyG dataset.

    The folder must hold what ogb's download unpacks (``raw/``, ``split/``,
    ``RELEASE_v<version>.txt``); graphrep never downloads, it fails at once
    with a message naming the missing files. Nothing is unpickled: see the
    module docstring.

    ``meta_dict`` loads a dataset written with ``ogb.io.DatasetSaver`` (its
    ``get_meta_dict()``), from the folder it names; ``root`` is then unused.

    Raises:
        DatasetNotFoundError: files are missing.
        UnsafeFileError: a split or processed file holds more than arrays.
        DatasetFormatError: a malformed, truncated or inconsistent file.
    """
    task = _task(name)
    if meta_dict is not None:
        meta_info = dict(meta_dict)
        folder = Path(meta_info["dir_path"])
    else:
        meta_info = dict(_master_entry(name))
        required = [f"RELEASE_v{meta_info['version']}.txt", "raw"]
        folder = dataset_folder(data_root(root), f"ogb/{name.replace('-', '_')}", required)
    if meta_info.get("is hetero") == "True":
        raise ValueError(f"{name} is a heterogeneous OGB dataset; graphrep loads homogeneous ones")
    raw = folder / "raw"
    source = fingerprint(raw)
    cached = processed_path(folder, "ogb")
    payload = read_processed(cached, source)
    if payload is None or payload.get("format") != _PROCESSED_FORMAT:
        payload = {"format": _PROCESSED_FORMAT, "source": source, "graphs": _read_graphs(raw, meta_info, task)}
        try:
            write_processed(cached, payload)
        except OSError as error:  # a read-only cache only costs the next load its time
            warnings.warn(f"{cached}: cannot keep a processed copy ({error.strerror or error}); the next load "
                          "reads the raw files again", stacklevel=2)
    from torch_geometric.data import Data

    from graphrep.datasets._dataset import OGBDataset

    data_list = [Data(**graph) for graph in payload["graphs"]]
    return OGBDataset(name, folder, meta_info, data_list, transform=transform, pre_transform=pre_transform)


def _task(name: str) -> str:
    task = _TASKS.get(name.split("-")[0])
    if task is None:
        raise ValueError(f"name must start with ogbl-, ogbn- or ogbg-, got {name!r}")
    return task


@functools.cache
def _master(task: str):
    import importlib

    import pandas as pd

    module = importlib.import_module(f"ogb.{task}")
    return pd.read_csv(os.path.join(os.path.dirname(module.__file__), "master.csv"), index_col=0,
                       keep_default_na=False)


def _master_entry(name: str) -> dict:
    master = _master(_task(name))
    if name not in master:
        raise ValueError(f"unknown OGB dataset {name!r}; ogb knows {', '.join(master.keys())}")
    return master[name].to_dict()


def _file_list(entry: Any) -> list[str]:
    return [] if entry in (None, "None", "") else str(entry).split(",")


def _read_csv(path: Path, dtype=None) -> np.ndarray:
    """A headerless CSV (gzip-compressed like OGB's) as a 2-D array."""
    import pandas as pd

    if not path.is_file():
        raise DatasetFormatError(f"{path}: file not found")
    with malformed(path, "CSV file"):
        try:
            values = pd.read_csv(path, compression="gzip" if path.suffix == ".gz" else None, header=None).values
        except zlib.error as error:
            raise DatasetFormatError(f"{path}: corrupt gzip data ({error})") from None
        return values.astype(dtype) if dtype is not None else values


def _feature_dtype(values: np.ndarray) -> np.ndarray:
    """ogb's rule: integer columns become int64, anything else float32."""
    return values.astype(np.int64) if "int" in str(values.dtype) else values.astype(np.float32)


def _read_graphs(raw: Path, meta: dict, task: str) -> list[dict]:
    """The graphs of ``raw/`` as dicts of tensors, split and labelled as
    ogb's ``read_graph_pyg`` and its dataset classes do."""
    import torch

    node_files, edge_files = _file_list(meta.get("additional node files")), _file_list(meta.get("additional edge files"))
    if meta.get("binary") == "True":
        if meta.get("add_inverse_edge") == "True":
            raise DatasetFormatError(f"{raw}: add_inverse_edge is not supported for binary OGB files")
        arrays = _read_npz(raw / "data.npz")
        edge, edge_file = arrays.pop("edge_index"), raw / "data.npz"
        num_nodes_list, num_edges_list = arrays.pop("num_nodes_list"), arrays.pop("num_edges_list")
        node_arrays = {key: value for key, value in arrays.items() if key.startswith("node_")}
        edge_arrays = {key: value for key, value in arrays.items() if key.startswith("edge_")}
        if len(node_arrays) + len(edge_arrays) != len(arrays):
            raise DatasetFormatError(f"{raw / 'data.npz'}: keys must start with node_ or edge_")
    else:
        edge_file = raw / "edge.csv.gz"
        edge = _read_csv(edge_file, np.int64).T
        num_nodes_list = _read_csv(raw / "num-node-list.csv.gz", np.int64)[:, 0]
        num_edges_list = _read_csv(raw / "num-edge-list.csv.gz", np.int64)[:, 0]
        node_arrays = {"node_feat": _feature_dtype(_read_csv(raw / "node-feat.csv.gz"))} \
            if (raw / "node-feat.csv.gz").exists() else {}
        edge_arrays = {"edge_feat": _feature_dtype(_read_csv(raw / "edge-feat.csv.gz"))} \
            if (raw / "edge-feat.csv.gz").exists() else {}
        node_arrays.update({key: _feature_dtype(_read_csv(raw / f"{key}.csv.gz")) for key in node_files})
        edge_arrays.update({key: _feature_dtype(_read_csv(raw / f"{key}.csv.gz")) for key in edge_files})
    _check_graph_arrays(edge, edge_file, num_nodes_list, num_edges_list, node_arrays, edge_arrays, raw)

    add_inverse = meta.get("add_inverse_edge") == "True"
    names = {"node_feat": "x", "edge_feat": "edge_attr"}
    graphs, node_start, edge_start = [], 0, 0
    for num_nodes, num_edges in zip(num_nodes_list.tolist(), num_edges_list.tolist()):
        edges = edge[:, edge_start:edge_start + num_edges]
        graph: dict[str, Any] = {"num_nodes": int(num_nodes)}
        if add_inverse:  # each edge followed by its reverse, as ogb stores undirected graphs
            edges = np.repeat(edges, 2, axis=1)
            edges[0, 1::2], edges[1, 1::2] = edges[1, 0::2], edges[0, 0::2]
        graph["edge_index"] = torch.from_numpy(np.ascontiguousarray(edges))
        for key, values in edge_arrays.items():
            part = values[edge_start:edge_start + num_edges]
            graph[names.get(key, key)] = torch.from_numpy(np.repeat(part, 2, axis=0) if add_inverse else part.copy())
        for key, values in node_arrays.items():
            graph[names.get(key, key)] = torch.from_numpy(values[node_start:node_start + num_nodes].copy())
        graphs.append(graph)
        node_start += num_nodes
        edge_start += num_edges
    if task == "nodeproppred":
        labels = _read_labels(raw, "node", meta)
        if labels.shape[0] != int(num_nodes_list.sum()):
            raise DatasetFormatError(f"{raw}: {labels.shape[0]} node labels for {int(num_nodes_list.sum())} nodes")
        graphs[0]["y"] = _label_tensor(labels, meta)
    elif task == "graphproppred":
        _add_graph_labels(graphs, raw, meta)
    return graphs


def _read_npz(path: Path) -> dict[str, np.ndarray]:
    if not path.is_file():
        raise DatasetFormatError(f"{path}: file not found")
    with malformed(path, "npz file"):
        with np.load(path, allow_pickle=False) as arrays:
            return {key: arrays[key] for key in arrays.files}


def _check_graph_arrays(edge, edge_file, num_nodes_list, num_edges_list, node_arrays, edge_arrays, raw) -> None:
    if edge.ndim != 2 or edge.shape[0] != 2:
        raise DatasetFormatError(f"{edge_file}: edges must have two columns, got shape {edge.shape[::-1]}")
    if int(num_edges_list.sum()) != edge.shape[1] or (num_nodes_list < 0).any() or (num_edges_list < 0).any():
        raise DatasetFormatError(f"{raw}: the edge counts ({int(num_edges_list.sum())}) do not match the "
                                 f"{edge.shape[1]} edges of {edge_file}")
    total_nodes = int(num_nodes_list.sum())
    for key, values in node_arrays.items():
        if values.shape[0] != total_nodes:
            raise DatasetFormatError(f"{raw}: {key} has {values.shape[0]} rows for {total_nodes} nodes")
    for key, values in edge_arrays.items():
        if values.shape[0] != edge.shape[1]:
            raise DatasetFormatError(f"{raw}: {key} has {values.shape[0]} rows for {edge.shape[1]} edges")
    if edge.size:
        limit = np.repeat(num_nodes_list, num_edges_list)
        outside = np.flatnonzero((edge < 0).any(axis=0) | (edge >= limit).any(axis=0))
        if outside.size:
            raise DatasetFormatError(f"{edge_file}: edge {int(outside[0])} names a node outside its graph: "
                                     f"{edge[:, outside[0]].tolist()}")


def _read_labels(raw: Path, level: str, meta: dict) -> np.ndarray:
    if meta.get("binary") == "True":
        arrays = _read_npz(raw / f"{level}-label.npz")
        if f"{level}_label" not in arrays:
            raise DatasetFormatError(f"{raw / f'{level}-label.npz'}: missing field '{level}_label'")
        return arrays[f"{level}_label"]
    return _read_csv(raw / f"{level}-label.csv.gz")


def _label_tensor(labels: np.ndarray, meta: dict):
    import torch

    if labels.dtype.kind not in "biuf":
        raise DatasetFormatError(f"labels must be numbers, got {labels.dtype}")
    classification = "classification" in str(meta.get("task type"))
    exact = classification and not np.isnan(labels.astype(np.float64)).any()
    return torch.from_numpy(labels).to(torch.long if exact else torch.float32)


def _add_graph_labels(graphs: list[dict], raw: Path, meta: dict) -> None:
    import torch

    if meta.get("task type") == "subtoken prediction":
        labels = _read_csv(raw / "graph-label.csv.gz")
        tokens = [str(row[0]).split(" ") for row in labels]
        if len(tokens) != len(graphs):
            raise DatasetFormatError(f"{raw / 'graph-label.csv.gz'}: {len(tokens)} labels for {len(graphs)} graphs")
        for graph, label in zip(graphs, tokens):
            graph["y"] = label
        return
    labels = _read_labels(raw, "graph", meta)
    if labels.shape[0] != len(graphs):
        raise DatasetFormatError(f"{raw}: {labels.shape[0]} graph labels for {len(graphs)} graphs")
    tensor = _label_tensor(labels, meta)
    for graph, label in zip(graphs, tensor):
        graph["y"] = label.view(1, -1)


def _check_link_part(part: dict, path: Path, num_nodes: int) -> None:
    import torch

    if not part:
        raise DatasetFormatError(f"{path}: empty split part")
    for key, value in part.items():
        if not isinstance(value, torch.Tensor) or value.is_floating_point() or value.is_complex():
            raise DatasetFormatError(f"{path}: field {key!r} must be an integer array")
        if key.startswith(("edge", "source_node", "target_node")) and value.numel() and \
                (int(value.min()) < 0 or int(value.max()) >= num_nodes):
            raise DatasetFormatError(f"{path}: field {key!r} names nodes outside [0, {num_nodes})")
    if "edge" not in part and "source_node" not in part:
        raise DatasetFormatError(f"{path}: missing field 'edge' (or 'source_node')")


def _load_split_file(path: Path) -> Any:
    """A split file (``torch.save`` of dicts of numpy arrays), numpy arrays
    turned into tensors; loaded with ``weights_only=True`` and only numpy's
    array classes allowed."""
    import torch

    try:
        with _numpy_safe_globals():
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise DatasetFormatError(f"{path}: split file not found") from None
    except pickle.UnpicklingError as error:
        raise UnsafeFileError(f"{path}: refusing to load: it holds objects other than numpy arrays "
                              f"({refusal_reason(error)}); nothing was run") from None
    except (EOFError, RuntimeError, OSError, ValueError, KeyError, AttributeError, TypeError) as error:
        detail = " ".join(str(error).split())[:120] or type(error).__name__
        raise DatasetFormatError(f"{path}: truncated or corrupt split file ({detail})") from None
    return _as_tensors(loaded, path)


def _as_tensors(value: Any, path: Path) -> Any:
    import torch

    if isinstance(value, dict):
        return {key: _as_tensors(item, path) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_tensors(item, path) for item in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise DatasetFormatError(f"{path}: arrays must be numeric, got {value.dtype}")
        return torch.from_numpy(value)
    return value


def _numpy_safe_globals():
    """An allow-list of numpy's array classes for one ``torch.load`` call
    (no process-wide setting)."""
    import torch

    try:
        from numpy._core.multiarray import _reconstruct, scalar
    except ImportError:  # numpy < 2
        from numpy.core.multiarray import _reconstruct, scalar
    dtypes = [type(np.dtype(code)) for code in "?bBhHiIlLqQefdgFD"]
    allowed = [np.ndarray, np.dtype, *dtypes]
    for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
        allowed += [(_reconstruct, f"{module}._reconstruct"), (scalar, f"{module}.scalar")]
    if hasattr(torch.serialization, "safe_globals"):
        return torch.serialization.safe_globals(allowed)
    return contextlib.nullcontext()
