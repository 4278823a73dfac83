"""Shifted positive pointwise mutual information of a co-occurrence matrix."""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

__all__ = ["pmi_matrix"]


def pmi_matrix(matrix: Any, *, negative: float = 1.0) -> sp.csr_array:
    r"""Shifted positive PMI of a non-negative co-occurrence matrix ``M``
    (`Levy and Goldberg, NeurIPS 2014
    <https://papers.nips.cc/paper/5477-neural-word-embedding-as-implicit-matrix-factorization>`_):

    .. math::

        \mathrm{PMI}_{uv} = \max\Bigl(0,\;
        \log \frac{M_{uv}\,\mathrm{vol}(M)}{b\, M_{u\cdot}\, M_{\cdot v}}\Bigr),
        \qquad \mathrm{vol}(M) = \sum_{uv} M_{uv},

    with ``M_u.`` and ``M_.v`` the row and column sums and ``b`` the number of
    negative samples. For ``M = D S`` with ``S`` the window-``T`` walk
    adjacency this is NetMF's matrix ``log max(1, vol(G) / (bT) S D^-1)``
    (`Qiu et al., WSDM 2018 <https://arxiv.org/abs/1710.02971>`_); for an
    orbit adjacency matrix it is GOPMI's (Windels et al., 2024). Zero
    entries stay zero, so the result is as sparse as ``M``.

    Args:
        matrix: ``[n, m]`` non-negative matrix (scipy sparse or array-like).
        negative: ``b > 0``; the shift is ``log b``.

    Returns:
        ``float64`` ``csr_array`` ``[n, m]``.

    Example:
        >>> counts = np.array([[0, 2, 0], [2, 0, 1], [0, 1, 0]])
        >>> np.round(pmi_matrix(counts).toarray(), 3).tolist()
        [[0.0, 0.693, 0.0], [0.693, 0.0, 0.693], [0.0, 0.693, 0.0]]
    """
    if not np.isfinite(negative) or negative <= 0:
        raise ValueError(f"negative must be a finite number > 0, got {negative}")
    if not sp.issparse(matrix):
        matrix = np.asarray(matrix)
        if matrix.ndim != 2:
            raise ValueError(f"matrix must be 2-D, got shape {matrix.shape}")
    matrix = sp.csr_array(matrix, dtype=np.float64, copy=True)
    matrix.eliminate_zeros()
    if matrix.nnz and (matrix.data.min() < 0 or not np.isfinite(matrix.data).all()):
        raise ValueError("matrix must hold finite non-negative co-occurrence counts")
    total = matrix.data.sum()
    if total == 0:
        return matrix
    rows = np.asarray(matrix.sum(axis=1)).ravel()
    cols = np.asarray(matrix.sum(axis=0)).ravel()
    row_of = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    values = np.log(matrix.data * total / (negative * rows[row_of] * cols[matrix.indices]))
    result = sp.csr_array((np.maximum(values, 0.0), matrix.indices, matrix.indptr), shape=matrix.shape)
    result.eliminate_zeros()
    return result
