"""Canonical graph input: anything graphrep accepts becomes one undirected,
simple graph in CSR form plus the map back to the caller's node ids.

Accepted inputs
---------------
* a :class:`CSRGraph` (returned unchanged),
* a PyG ``Data`` object (``edge_index`` and ``num_nodes``) or an
  ``edge_index`` tensor of shape ``[2, E]``,
* a scipy sparse matrix or array (square; nonzeros are edges),
* a networkx graph (node order is ``G.nodes`` order),
* a numpy integer array of shape ``(E, 2)``,
* a path to an edge-list file, or ``"-"`` for standard input (see
  :func:`graphrep.io.read_edge_list`).

Directed input is symmetrised; self-loops and duplicate or reciprocal edges
are dropped and counted in one log line. Malformed input raises
:class:`GraphFormatError`.
"""
from __future__ import annotations

import logging
import os
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphrep._edgelist import INT64_MAX, read_edge_list
from graphrep.errors import GraphFormatError
from graphrep._validate import check_int

__all__ = ["CSRGraph", "GraphFormatError", "as_graph"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, eq=False)
class CSRGraph:
    """An undirected simple graph in compressed sparse row form.

    Attributes:
        indptr: ``int64[n + 1]`` row pointers.
        indices: ``int64[2m]`` neighbour lists, each sorted ascending, no
            self-loops, no duplicates; every edge is stored in both rows.
        node_ids: ``[n]`` the caller's id of each row (``int64`` or ``object``).

    Example:
        >>> g = as_graph(np.array([[0, 1], [1, 2], [2, 0], [1, 0]]))
        >>> g.num_nodes, g.num_edges
        (3, 3)
        >>> g.neighbors(1).tolist()
        [0, 2]
    """

    indptr: np.ndarray
    indices: np.ndarray
    node_ids: np.ndarray

    @property
    def num_nodes(self) -> int:
        return int(self.indptr.shape[0] - 1)

    @property
    def num_edges(self) -> int:
        """Number of undirected edges ``m``."""
        return int(self.indices.shape[0] // 2)

    @property
    def degrees(self) -> np.ndarray:
        return np.diff(self.indptr)

    def neighbors(self, node: int) -> np.ndarray:
        return self.indices[self.indptr[node] : self.indptr[node + 1]]

    def edge_index(self) -> np.ndarray:
        """``int64[2, 2m]``: both directions of every edge, row-major order."""
        rows = np.repeat(np.arange(self.num_nodes, dtype=np.int64), self.degrees)
        return np.stack([rows, self.indices])

    def edge_list(self) -> np.ndarray:
        """``int64[m, 2]``: each undirected edge once, as ``(u, v)`` with ``u < v``."""
        src, dst = self.edge_index()
        keep = src < dst
        return np.stack([src[keep], dst[keep]], axis=1)

    def to_scipy(self, dtype=np.int64) -> sp.csr_array:
        """The 0/1 adjacency matrix as a ``scipy.sparse.csr_array``."""
        data = np.ones(self.indices.shape[0], dtype=dtype)
        n = self.num_nodes
        return sp.csr_array((data, self.indices, self.indptr), shape=(n, n))

    @classmethod
    def from_edges(
        cls, edges: np.ndarray, num_nodes: int, node_ids: np.ndarray | None = None
    ) -> "CSRGraph":
        """Builds the canonical graph from an ``int64[E, 2]`` array of ids in
        ``[0, num_nodes)``, dropping self-loops and merging duplicates."""
        edges = np.asarray(edges, dtype=np.int64)
        edges = edges.reshape(-1, 2) if edges.ndim != 2 else edges
        n = int(num_nodes)
        if n <= 0:
            raise GraphFormatError("empty graph: it has no nodes")
        src, dst = edges[:, 0], edges[:, 1]
        loops = src == dst
        num_loops = int(np.count_nonzero(loops))
        if num_loops:
            src, dst = src[~loops], dst[~loops]
        # both directions of every edge as one sortable key u * n + v; sorting
        # groups duplicates and orders rows, then columns (no hashing)
        keys = np.concatenate([src * n + dst, dst * n + src])
        keys.sort()
        if keys.shape[0]:
            distinct = np.empty(keys.shape[0], dtype=np.bool_)
            distinct[0] = True
            np.not_equal(keys[1:], keys[:-1], out=distinct[1:])
            keys = keys[distinct]
        rows = keys // n
        cols = keys - rows * n
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
        merged = int(src.shape[0] - keys.shape[0] // 2)
        if num_loops or merged:
            logger.info(
                "normalised graph input: dropped %d self-loops, merged %d duplicate "
                "or reciprocal edges", num_loops, merged,
            )
        if node_ids is None:
            node_ids = np.arange(n, dtype=np.int64)
        return cls(indptr, cols, node_ids)


def as_graph(graph: Any, *, num_nodes: int | None = None, encoding: str | None = None,
             id_type: str = "auto") -> CSRGraph:
    """Converts any accepted graph input to a :class:`CSRGraph`.

    Args:
        graph: see the module docstring for the accepted types.
        num_nodes: number of nodes for integer-id edge arrays and
            ``edge_index`` tensors (defaults to ``max id + 1``); ignored for
            inputs that carry their own node set.
        encoding, id_type: for edge-list paths, as for
            :func:`graphrep.io.read_edge_list` (strict UTF-8; integer ids
            when every id is an integer, else strings).

    Raises:
        GraphFormatError: malformed, empty or out-of-range input.
        FileNotFoundError: ``graph`` is a path that does not exist.
        TypeError: an input type graphrep does not read, or ``num_nodes``
            that is not an int.

    Example:
        >>> import networkx as nx
        >>> g = as_graph(nx.path_graph(["a", "b", "c"]))
        >>> g.node_ids.tolist(), g.degrees.tolist()
        (['a', 'b', 'c'], [1, 2, 1])
    """
    if num_nodes is not None:
        num_nodes = check_int(num_nodes, "num_nodes", minimum=0)
    if isinstance(graph, CSRGraph):
        return graph
    if isinstance(graph, (str, os.PathLike)):
        edges, node_ids = read_edge_list(graph, encoding=encoding, id_type=id_type)
        return CSRGraph.from_edges(edges, len(node_ids), node_ids)
    if encoding is not None or id_type != "auto":
        raise ValueError("encoding and id_type apply to edge-list paths only, got a "
                         f"{type(graph).__name__}")
    if hasattr(graph, "edge_index"):
        _check_edge_index_shape(graph.edge_index, "edge_index")  # before num_nodes, which PyG infers from it
        data_nodes = getattr(graph, "num_nodes", None)
        data_nodes = None if data_nodes is None else check_int(data_nodes, "data.num_nodes", minimum=0)
        return _from_edge_index(graph.edge_index, data_nodes, "data.edge_index")
    if type(graph).__module__.startswith("torch"):
        return _from_edge_index(graph, num_nodes, "edge_index")
    if sp.issparse(graph):
        return _from_scipy(graph)
    if type(graph).__module__.startswith("networkx"):
        return _from_networkx(graph)
    if isinstance(graph, (np.ndarray, list, tuple)):
        array = np.asarray(graph)
        if array.ndim != 2 or array.shape[1] != 2:
            raise GraphFormatError(f"edge array must have shape (E, 2), got {array.shape}")
        return _from_index_array(array, num_nodes, "edge array")
    raise TypeError(
        f"cannot read a graph from {type(graph).__name__}; expected a PyG Data, an "
        "edge_index tensor, a scipy sparse matrix, a networkx graph, an (E, 2) array "
        "or an edge-list path"
    )


# id(edge_index tensor) -> (weak reference, stamp, graph): the CSR graphs of
# the tensors converted last, so repeated calls on one tensor (a walk per
# epoch) convert it once. The stamp holds the tensor's version counter, so an
# in-place edit is seen.
_TENSOR_GRAPHS: dict[int, tuple] = {}
_TENSOR_GRAPHS_KEPT = 8


def _from_edge_index(tensor: Any, num_nodes: int | None, what: str) -> CSRGraph:
    version = getattr(tensor, "_version", None)
    if version is None:
        return _edge_index_graph(_tensor_to_numpy(tensor), num_nodes, what)
    stamp = (version, tensor.data_ptr(), tuple(tensor.shape), str(tensor.dtype), str(tensor.device), num_nodes)
    key = id(tensor)
    cached = _TENSOR_GRAPHS.get(key)
    if cached is not None and cached[0]() is tensor and cached[1] == stamp:
        return cached[2]
    graph = _edge_index_graph(_tensor_to_numpy(tensor), num_nodes, what)
    _TENSOR_GRAPHS.pop(key, None)
    while len(_TENSOR_GRAPHS) >= _TENSOR_GRAPHS_KEPT:
        _TENSOR_GRAPHS.pop(next(iter(_TENSOR_GRAPHS)))
    _TENSOR_GRAPHS[key] = (weakref.ref(tensor, lambda _, key=key: _TENSOR_GRAPHS.pop(key, None)), stamp, graph)
    return graph


def _edge_index_graph(array: np.ndarray, num_nodes: int | None, what: str) -> CSRGraph:
    _check_edge_index_shape(array, "edge_index")
    return _from_index_array(array.T, num_nodes, what)


def _check_edge_index_shape(edge_index: Any, what: str) -> None:
    shape = tuple(edge_index.shape)
    if len(shape) != 2 or shape[0] != 2:
        raise GraphFormatError(f"{what} must have shape [2, E], got {list(shape)}")


def _tensor_to_numpy(tensor: Any) -> np.ndarray:
    return tensor.detach().cpu().numpy() if hasattr(tensor, "detach") else np.asarray(tensor)


def _from_index_array(array: np.ndarray, num_nodes: int | None, what: str) -> CSRGraph:
    if array.dtype.kind == "f":
        if not np.all(np.isfinite(array)) or np.any(array != np.round(array)):
            raise GraphFormatError(f"{what} holds non-integer node ids")
        if array.size and np.abs(array).max() > 2.0**63:
            raise GraphFormatError(f"{what} holds node ids that overflow int64")
    elif array.dtype.kind == "u" and array.size and array.max() > INT64_MAX:
        raise GraphFormatError(f"{what} holds node ids that overflow int64")
    elif array.dtype.kind not in "iu":
        raise GraphFormatError(f"{what} must hold integer node ids, got dtype {array.dtype}")
    edges = array.astype(np.int64)
    if edges.size and edges.min() < 0:
        raise GraphFormatError(f"{what} holds negative node id {int(edges.min())}")
    max_id = int(edges.max()) if edges.size else -1
    if num_nodes is None:
        num_nodes = max_id + 1
    elif num_nodes <= max_id:
        raise GraphFormatError(f"num_nodes={num_nodes} but {what} holds node id {max_id}")
    return CSRGraph.from_edges(edges, num_nodes)


def _from_scipy(matrix) -> CSRGraph:
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise GraphFormatError(f"adjacency matrix must be square, got shape {matrix.shape}")
    coo = sp.coo_array(matrix)
    nonzero = coo.data != 0
    edges = np.stack([coo.row[nonzero], coo.col[nonzero]], axis=1)
    return CSRGraph.from_edges(edges, matrix.shape[0])


def _from_networkx(graph) -> CSRGraph:
    nodes = list(graph.nodes())
    position = {node: i for i, node in enumerate(nodes)}
    edges = np.array([(position[u], position[v]) for u, v in graph.edges()], dtype=np.int64)
    if all(isinstance(node, (int, np.integer)) and not isinstance(node, bool) for node in nodes):
        node_ids = np.array(nodes, dtype=np.int64)
    else:
        node_ids = np.empty(len(nodes), dtype=object)
        node_ids[:] = nodes
    return CSRGraph.from_edges(edges, len(nodes), node_ids)
