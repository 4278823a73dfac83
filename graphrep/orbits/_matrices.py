"""The read-only mapping of ``n x n`` sparse matrices that the orbit, edge
orbit and graphlet adjacency functions return."""
from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping

import numpy as np
import scipy.sparse as sp


class MatrixMapping(Mapping):
    """Read-only mapping from a key to an ``n x n`` ``int64``
    ``scipy.sparse.csr_array``, rows and columns in the input's node order;
    ``node_ids[i]`` is the caller's id of row ``i`` and ``backend`` the
    kernel that computed them. Subclasses turn the keys users write into
    stored keys (:meth:`_key`)."""

    def __init__(self, matrices: dict, node_ids: np.ndarray, backend: str):
        self._matrices = matrices
        self.node_ids = node_ids
        self.backend = backend

    def _key(self, key) -> Hashable:
        return key

    def __getitem__(self, key) -> sp.csr_array:
        return self._matrices[self._key(key)]

    def __iter__(self) -> Iterator:
        return iter(self._matrices)

    def __len__(self) -> int:
        return len(self._matrices)

    @property
    def num_nodes(self) -> int:
        """The number of nodes: rows (and columns) of every matrix."""
        return int(self.node_ids.shape[0])

    def _keys_repr(self) -> str:
        return str(list(self))

    def __repr__(self) -> str:
        nnz = sum(matrix.nnz for matrix in self._matrices.values())
        return (f"{type(self).__name__}(num_nodes={self.num_nodes}, keys={self._keys_repr()}, nnz={nnz}, "
                f"backend={self.backend!r})")
