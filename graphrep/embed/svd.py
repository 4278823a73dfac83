"""Truncated-SVD embeddings of adjacency-like matrices."""
from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from graphrep._validate import check_int

__all__ = ["svd_embedding"]

_DENSE_FROM = 0.25


def svd_embedding(matrix: Any, dim: int, *, seed: int = 0, n_iter: int = 7) -> np.ndarray:
    r"""Rank-``dim`` embedding ``U_d \Sigma_d^{1/2}`` of a matrix from its
    truncated SVD ``M \approx U_d \Sigma_d V_d^\top`` (randomized, `Halko et
    al., 2011 <https://arxiv.org/abs/0909.4061>`_), as NetMF embeds its PMI
    matrix. Signs are fixed so that the result depends on ``seed`` only.

    Args:
        matrix: ``[n, m]`` matrix (scipy sparse or array-like).
        dim: ``1 <= dim``; when ``dim > min(n, m)`` the extra columns are zero.
        seed: seed of the randomized range finder.
        n_iter: power iterations of the range finder.

    Returns:
        ``float64[n, dim]``, one row per row of ``matrix``.

    Example:
        >>> low_rank = np.outer([1.0, 2.0, 3.0], [1.0, 0.0, 1.0])
        >>> emb = svd_embedding(low_rank, 2)
        >>> np.abs(emb).round(3).tolist()  # rank 1: sigma = 2 sqrt(7), u = (1, 2, 3) / sqrt(14)
        [[0.615, 0.0], [1.23, 0.0], [1.844, 0.0]]
    """
    from sklearn.utils.extmath import randomized_svd

    dim = check_int(dim, "dim", minimum=1)
    matrix = sp.csr_array(matrix, dtype=np.float64) if sp.issparse(matrix) else np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2:
        raise ValueError(f"matrix must be 2-D, got shape {matrix.shape}")
    n, m = matrix.shape
    out = np.zeros((n, dim), dtype=np.float64)
    rank = min(dim, n, m)
    if rank == 0 or (matrix.nnz == 0 if sp.issparse(matrix) else not np.any(matrix)):
        return out
    if sp.issparse(matrix) and matrix.nnz > _DENSE_FROM * n * m:
        matrix = matrix.toarray()  # BLAS products beat sparse ones on nearly full matrices
    u, s, _ = randomized_svd(matrix, n_components=rank, n_iter=n_iter, random_state=seed)
    out[:, :rank] = u * np.sqrt(s)
    return out
