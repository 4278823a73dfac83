"""Sparse adjacency helpers for link prediction: building a symmetric
``torch.sparse`` CSR adjacency, removing target links from it, and finding
common neighbours of node pairs by sorted-row intersection.

Everything here is plain torch (no torch-sparse): a CSR row of an undirected
simple graph is a sorted list of neighbours, so the neighbours of the pair
``(u, v)`` become the sorted keys ``pair * n + w`` and one
:func:`torch.searchsorted` of one key list in the other is a batched merge of
the two rows.
"""
from __future__ import annotations

import bisect
import warnings

import torch
from torch import Tensor

from graphrep._validate import check_index_dtype, check_int

__all__ = ["link_adjacency", "remove_links", "common_neighbors", "drop_adjacency_entries"]

#: Default bound on the neighbour entries gathered at once (both rows of every
#: pair in a chunk); 2**22 entries keep the working set near 200 MB.
DEFAULT_CHUNK_SIZE = 2**22


def _choose_no_invariant_checks() -> None:
    """Makes torch's default, no invariant checks on sparse tensors, an
    explicit choice (unless checks were turned on).

    While nobody has chosen, torch warns "Sparse invariant checks are
    implicitly disabled" the first time a sparse tensor is built without
    ``check_invariants``, and PyG's layers build such tensors from the
    adjacency they are given (``GCNConv`` normalises it into a new CSR
    tensor). graphrep's adjacencies are valid by construction, so the choice
    torch asks for is made here, the same as its default; a caller who turned
    the checks on keeps them.
    """
    if not torch.sparse.check_sparse_tensor_invariants.is_enabled():
        torch.sparse.check_sparse_tensor_invariants.disable()


def _csr(crow: Tensor, col: Tensor, num_nodes: int, dtype: torch.dtype = torch.float) -> Tensor:
    _choose_no_invariant_checks()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Sparse CSR tensor support is in beta")
        return torch.sparse_csr_tensor(crow, col, torch.ones(col.numel(), dtype=dtype, device=col.device),
                                       (num_nodes, num_nodes), check_invariants=False)


def _coo(index: Tensor, values: Tensor, size: tuple[int, int]) -> Tensor:
    """A COO tensor from indices that are already sorted and unique."""
    return torch.sparse_coo_tensor(index, values, size, is_coalesced=True, check_invariants=False)


def link_adjacency(edge_index: Tensor, num_nodes: int) -> Tensor:
    """The symmetric, binary adjacency of ``edge_index`` as a ``torch.sparse``
    CSR tensor of shape ``[num_nodes, num_nodes]``: both directions of every
    edge, duplicates merged, self-loops dropped, columns sorted in every row.

    PyG layers accept it in place of ``edge_index`` (``GCNConv(x, adj)``)
    without torch's warning about sparse invariant checks: building it
    makes torch's default, no checks, an explicit choice (a caller who
    turned the checks on with :class:`torch.sparse.check_sparse_tensor_invariants`
    keeps them).

    Args:
        edge_index: ``[2, E]`` integer tensor (one or both directions).
        num_nodes: number of nodes ``n``.

    Example:
        >>> adj = link_adjacency(torch.tensor([[0, 1, 1], [1, 2, 2]]), 4)
        >>> adj.to_dense().int().tolist()
        [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]]
    """
    if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"edge_index must be a [2, E] tensor, got {getattr(edge_index, 'shape', type(edge_index))}")
    check_index_dtype(edge_index, "edge_index")
    num_nodes = check_int(num_nodes, "num_nodes", minimum=0)
    edge_index = edge_index.long()
    if edge_index.numel() and (edge_index.min() < 0 or edge_index.max() >= num_nodes):
        raise ValueError(f"edge_index has node ids outside [0, num_nodes={num_nodes})")
    row = torch.cat([edge_index[0], edge_index[1]])
    col = torch.cat([edge_index[1], edge_index[0]])
    keep = row != col
    keys = torch.unique(row[keep] * num_nodes + col[keep])  # sorted: row-major, columns ascending
    return _from_keys(keys, num_nodes)


def _from_keys(keys: Tensor, num_nodes: int) -> Tensor:
    row = torch.div(keys, num_nodes, rounding_mode="floor") if num_nodes else keys
    col = keys - row * num_nodes
    crow = torch.zeros(num_nodes + 1, dtype=torch.long, device=keys.device)
    crow[1:] = torch.cumsum(torch.bincount(row, minlength=num_nodes), 0)
    return _csr(crow, col, num_nodes)


def _check_adjacency(adj: Tensor) -> None:
    if not isinstance(adj, Tensor) or adj.layout != torch.sparse_csr or adj.dim() != 2 or adj.size(0) != adj.size(1):
        raise ValueError("adj must be a square torch.sparse_csr tensor (see link_adjacency), got "
                         f"{getattr(adj, 'layout', type(adj))}")


def _check_pairs(pairs: Tensor, num_nodes: int, name: str = "pairs") -> Tensor:
    if not isinstance(pairs, Tensor) or pairs.dim() != 2 or pairs.size(0) != 2:
        raise ValueError(f"{name} must be a [2, B] tensor of node ids, got {getattr(pairs, 'shape', type(pairs))}")
    check_index_dtype(pairs, name)
    if pairs.numel() and (pairs.min() < 0 or pairs.max() >= num_nodes):
        raise ValueError(f"{name} has node ids outside [0, {num_nodes})")
    return pairs.long()


def remove_links(adj: Tensor, links: Tensor) -> Tensor:
    """``adj`` without the undirected links ``links`` (both directions);
    links that are not in ``adj`` are ignored. This is NCNC's *target link
    removal*: a training batch's positive links disappear from the graph the
    model sees, as they would for unseen test links.

    Args:
        adj: symmetric CSR adjacency from :func:`link_adjacency`.
        links: ``[2, B]`` node pairs.

    Example:
        >>> adj = link_adjacency(torch.tensor([[0, 1, 2], [1, 2, 3]]), 4)
        >>> remove_links(adj, torch.tensor([[2], [1]])).to_dense().int().tolist()
        [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]
    """
    _check_adjacency(adj)
    n = adj.size(0)
    links = _check_pairs(links, n, "links")
    crow, col = adj.crow_indices(), adj.col_indices()
    row = torch.repeat_interleave(torch.arange(n, device=col.device), crow.diff())
    keys = row * n + col
    drop = torch.cat([links[0] * n + links[1], links[1] * n + links[0]])
    return _from_keys(keys[~torch.isin(keys, drop)], n)


def _gather_rows(crow: Tensor, col: Tensor, nodes: Tensor) -> tuple[Tensor, Tensor]:
    """(pair position, neighbour) of every entry of the rows ``nodes``,
    row after row, neighbours ascending."""
    start = crow[nodes]
    degree = crow[nodes + 1] - start
    pair = torch.repeat_interleave(torch.arange(nodes.numel(), device=col.device), degree)
    first = torch.cumsum(degree, 0) - degree  # where each row begins in the output
    position = start[pair] + torch.arange(pair.numel(), device=col.device) - first[pair]
    return pair, col[position]


def _member(sorted_keys: Tensor, keys: Tensor) -> Tensor:
    """Which of ``keys`` occur in ``sorted_keys`` (a batched sorted merge)."""
    if sorted_keys.numel() == 0:
        return torch.zeros_like(keys, dtype=torch.bool)
    found = torch.searchsorted(sorted_keys, keys).clamp_(max=sorted_keys.numel() - 1)
    return sorted_keys[found] == keys


def _chunks(cost: Tensor, chunk_size: int) -> list[tuple[int, int]]:
    """Consecutive ranges of pairs whose summed ``cost`` stays within
    ``chunk_size`` (a single pair above it gets a range of its own)."""
    total = torch.cumsum(cost, 0).tolist()
    ranges, start, base = [], 0, 0
    while start < len(total):
        end = max(bisect.bisect_right(total, base + chunk_size, lo=start), start + 1)
        ranges.append((start, end))
        base, start = total[end - 1], end
    return ranges


def common_neighbors(adj: Tensor, pairs: Tensor, *, residual: bool = False,
                     chunk_size: int = DEFAULT_CHUNK_SIZE) -> Tensor | tuple[Tensor, Tensor, Tensor]:
    r"""Common neighbours of node pairs, as a sparse ``[B, n]`` indicator
    matrix: row ``b`` is :math:`A_{u_b} \odot A_{v_b}`.

    Rows of ``adj`` are intersected by a batched sorted merge
    (:func:`torch.searchsorted` on ``pair * n + neighbour`` keys). Pairs are
    processed in chunks whose summed degrees stay within ``chunk_size``
    entries, so memory stays bounded on high-degree graphs.

    Args:
        adj: symmetric CSR adjacency from :func:`link_adjacency`.
        pairs: ``[2, B]`` target pairs ``(u, v)``.
        residual: also return the completion candidates of NCNC:
            :math:`N(u) \setminus N(v)` and :math:`N(v) \setminus N(u)`,
            without ``v`` and ``u`` themselves.
        chunk_size: most neighbour entries gathered at once.

    Returns:
        A coalesced ``torch.sparse_coo`` tensor ``[B, n]`` of ones, or the
        triple ``(common, only_u, only_v)`` of such tensors when ``residual``.

    Example:
        >>> adj = link_adjacency(torch.tensor([[0, 0, 1, 1, 2], [1, 2, 2, 3, 3]]), 4)
        >>> common_neighbors(adj, torch.tensor([[0, 0], [3, 1]])).to_dense().int().tolist()
        [[0, 1, 1, 0], [0, 0, 1, 0]]
    """
    _check_adjacency(adj)
    n = adj.size(0)
    pairs = _check_pairs(pairs, n)
    if int(chunk_size) < 1:
        raise ValueError(f"chunk_size must be >= 1, got {chunk_size}")
    crow, col = adj.crow_indices(), adj.col_indices()
    degree = crow.diff()
    num_pairs = pairs.size(1)
    outputs: list[list[Tensor]] = [[] for _ in range(3 if residual else 1)]
    for start, end in _chunks(degree[pairs[0]] + degree[pairs[1]], int(chunk_size)):
        u, v = pairs[0, start:end], pairs[1, start:end]
        pair_u, nbr_u = _gather_rows(crow, col, u)
        pair_v, nbr_v = _gather_rows(crow, col, v)
        keys_u = pair_u * n + nbr_u  # sorted: pair-major, neighbours ascending
        keys_v = pair_v * n + nbr_v
        in_v = _member(keys_v, keys_u)
        found = [keys_u[in_v]]
        if residual:
            in_u = _member(keys_u, keys_v)
            found.append(keys_u[~in_v & (nbr_u != v[pair_u])])
            found.append(keys_v[~in_u & (nbr_v != u[pair_v])])
        for out, keys in zip(outputs, found):
            out.append(keys + start * n)
    results = []
    for out in outputs:
        keys = torch.cat(out) if out else pairs.new_empty(0)
        pair = torch.div(keys, n, rounding_mode="floor")
        index = torch.stack([pair, keys - pair * n])
        results.append(_coo(index, torch.ones(keys.numel(), device=keys.device), (num_pairs, n)))
    return tuple(results) if residual else results[0]


def drop_adjacency_entries(adj: Tensor, p: float, training: bool = True) -> Tensor:
    """``adj`` with each stored entry dropped independently with probability
    ``p`` (edge dropout); unchanged when ``p == 0`` or not ``training``.

    Example:
        >>> adj = link_adjacency(torch.tensor([[0, 1], [1, 2]]), 3)
        >>> drop_adjacency_entries(adj, 1.0)._nnz()
        0
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be in [0, 1], got {p}")
    if p == 0.0 or not training:
        return adj
    crow, col = adj.crow_indices(), adj.col_indices()
    n = adj.size(0)
    keep = torch.rand(col.numel(), device=col.device) >= p
    row = torch.repeat_interleave(torch.arange(n, device=col.device), crow.diff())
    new_crow = torch.zeros_like(crow)
    new_crow[1:] = torch.cumsum(torch.bincount(row[keep], minlength=n), 0)
    return _csr(new_crow, col[keep], n, adj.dtype)
