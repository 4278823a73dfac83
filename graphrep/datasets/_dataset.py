"""The in-memory datasets graphrep's loaders return (importing this module
imports PyG; the loaders import it on first use)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
from torch_geometric.data import Data, InMemoryDataset

from graphrep.datasets._root import DatasetFormatError
from graphrep.datasets.ogb import _check_link_part, _load_split_file, _read_csv, _task

__all__ = ["GraphDataset", "OGBDataset"]

_PARTS = ("train", "valid", "test")


class GraphDataset(InMemoryDataset):
    """A PyG :class:`~torch_geometric.data.InMemoryDataset` built by a
    graphrep loader straight from a dataset's raw files: no download, no
    processed file of PyG's and so no unpickling.

    It behaves as PyG's own dataset classes do: ``dataset[0]`` is the
    ``Data`` (with ``transform`` applied), ``len(dataset)``,
    ``dataset.num_classes`` and ``dataset.num_features`` work, ``name``
    names the dataset.

    Args:
        name: the dataset's name (``"Cora"``, ``"usa"``, ``"ogbl-ddi"``).
        data_list: its graphs.
        transform: applied on every access, as in PyG.
        pre_transform: applied once, when the dataset is built.

    Example:
        >>> import torch
        >>> data = Data(edge_index=torch.tensor([[0, 1], [1, 0]]), y=torch.tensor([0, 1]), num_nodes=2)
        >>> dataset = GraphDataset("pair", [data])
        >>> dataset, len(dataset), dataset.num_classes, dataset[0].num_nodes
        (pair(), 1, 2, 2)
    """

    def __init__(self, name: str, data_list: Sequence[Data], transform: Callable | None = None,
                 pre_transform: Callable | None = None):
        super().__init__(None, transform)
        self.name = name
        if pre_transform is not None:
            data_list = [pre_transform(data) for data in data_list]
        self._data, self.slices = self.collate(list(data_list))

    def __repr__(self) -> str:
        return f"{self.name}()"


class OGBDataset(GraphDataset):
    """An OGB dataset as :func:`load_ogb` returns it: what ogb's
    ``Pyg*PropPredDataset`` offers (``dataset[0]``, ``name``, ``meta_info``,
    ``task_type``, ``eval_metric``, ``num_tasks``, ``num_classes``, and
    ``get_edge_split`` for link tasks or ``get_idx_split`` for node and
    graph tasks), read without unpickling."""

    def __init__(self, name: str, folder: Path, meta_info: dict, data_list: list, transform: Callable | None = None,
                 pre_transform: Callable | None = None):
        super().__init__(name, data_list, transform=transform, pre_transform=pre_transform)
        self.root = str(folder)
        self.meta_info = meta_info
        self.task = _task(name)
        self.task_type = meta_info.get("task type")
        self.eval_metric = meta_info.get("eval metric")
        self.num_tasks = int(meta_info["num tasks"]) if "num tasks" in meta_info else None
        self.is_hetero = False
        self.binary = meta_info.get("binary") == "True"

    @property
    def num_classes(self) -> int:
        if "num classes" in self.meta_info:
            return int(self.meta_info["num classes"])
        return super().num_classes

    def get_edge_split(self, split_type: str | None = None) -> dict[str, dict[str, Any]]:
        """The link split: ``{"train", "valid", "test"}``, each a dict of
        tensors (``edge``, ``edge_neg``, or ``source_node`` /
        ``target_node`` / ``target_node_neg``), from ``split/<split_type>/``.

        Raises:
            UnsafeFileError: a split file holds anything but numpy arrays.
            DatasetFormatError: a missing, truncated or malformed split file.
        """
        if self.task != "linkproppred":
            raise ValueError(f"{self.name} is not a link prediction dataset; use get_idx_split()")
        split, sources = self._read_split(split_type, ".pt", _load_split_file)
        num_nodes = int(self[0].num_nodes)
        for part, path in sources.items():
            if not isinstance(split, dict) or not isinstance(split.get(part), dict):
                raise DatasetFormatError(f"{path}: missing field {part!r}")
            _check_link_part(split[part], path, num_nodes)
        return {part: split[part] for part in _PARTS}

    def get_idx_split(self, split_type: str | None = None) -> dict[str, Any]:
        """The node or graph split: ``{"train", "valid", "test"}`` index
        tensors, from ``split/<split_type>/``.

        Raises:
            UnsafeFileError: ``split_dict.pt`` holds anything but numpy arrays.
            DatasetFormatError: a missing, truncated or malformed split file.
        """
        if self.task == "linkproppred":
            raise ValueError(f"{self.name} is a link prediction dataset; use get_edge_split()")
        import torch

        def read_index(path: Path):
            return torch.from_numpy(_read_csv(path, np.int64)[:, 0].copy())

        split, sources = self._read_split(split_type, ".csv.gz", read_index)
        size = len(self) if self.task == "graphproppred" else int(self[0].num_nodes)
        for part, path in sources.items():
            index = split.get(part) if isinstance(split, dict) else None
            if not isinstance(index, torch.Tensor) or index.dim() != 1 or index.is_floating_point():
                raise DatasetFormatError(f"{path}: missing or malformed field {part!r}")
            if index.numel() and (int(index.min()) < 0 or int(index.max()) >= size):
                raise DatasetFormatError(f"{path}: {part} indices must lie in [0, {size})")
        return {part: split[part] for part in _PARTS}

    def _read_split(self, split_type: str | None, suffix: str, read: Callable) -> tuple[Any, dict[str, Path]]:
        """The split of ``split/<split_type>/``: its ``split_dict.pt``, else
        one ``<part><suffix>`` file per part read with ``read``; and the file
        each part came from."""
        folder = Path(self.root) / "split" / (split_type or self.meta_info["split"])
        if not folder.is_dir():
            raise DatasetFormatError(f"{folder}: split folder not found")
        if (folder / "split_dict.pt").is_file():
            return _load_split_file(folder / "split_dict.pt"), {part: folder / "split_dict.pt" for part in _PARTS}
        sources = {part: folder / f"{part}{suffix}" for part in _PARTS}
        return {part: read(path) for part, path in sources.items()}, sources
