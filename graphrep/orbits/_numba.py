"""Numba kernels for the 28 orbit adjacency matrices.

Counting scheme (the same as csrc/orbits.cpp; see docs/orbits.rst for the
derivations). For an ordered pair (u, v) let C = N(u) & N(v), k = |C|, and
t(x, y) = |N(x) & N(y)| for an edge (x, y). Every count follows from a few
aggregates over C that one pass over the wedges u-c-v collects:

    k, Sd = sum_{c in C} d(c), Su = sum_{c in C} t(u, c), Sv = sum_{c in C} t(c, v),
    EC = number of edges inside C,  A3 = (A^3)[u, v],

plus per-node d(u), tri(u) (triangles at u) and d2(u) = sum_{w in N(u)} d(w).
Non-induced counts come from these by inclusion-exclusion over which
neighbours are shared; only triangles (for EC) and walks of length <= 3
(for A3, as a sparse row product A^2[u, :] A) are enumerated, never the
4-node subgraphs themselves.

Rows are independent, so the driver splits them into chunks and runs
``orbit_rows`` on several threads (``nogil``); chunk results are joined in
row order, so the output does not depend on the thread count.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.typed import List

NUM_KEYS = 28


@njit(cache=True, nogil=True, inline="always")
def _common_neighbours(indptr, indices, u, c, positions, offset):
    """|N(u) & N(c)| by merging the sorted lists; when positions is not
    empty, also writes the position in N(c) of each common neighbour to
    positions[offset:]."""
    i, i_end = indptr[u], indptr[u + 1]
    j, j_end = indptr[c], indptr[c + 1]
    found = 0
    while i < i_end and j < j_end:
        if indices[i] < indices[j]:
            i += 1
        elif indices[i] > indices[j]:
            j += 1
        else:
            if positions.shape[0] > 0:
                positions[offset + found] = j
            found += 1
            i += 1
            j += 1
    return found


@njit(cache=True, parallel=True)
def edge_triangle_counts(indptr, indices):
    """t[p] = |N(u) & N(c)| for the edge stored at CSR position p = (u, c)."""
    n = indptr.shape[0] - 1
    t = np.zeros(indices.shape[0], dtype=np.int64)
    no_positions = np.empty(0, dtype=np.int64)
    for u in prange(n):
        for p in range(indptr[u], indptr[u + 1]):
            t[p] = _common_neighbours(indptr, indices, u, indices[p], no_positions, 0)
    return t


@njit(cache=True, parallel=True)
def edge_triangle_lists(indptr, indices, tptr):
    """For the edge p = (u, c), tlist[tptr[p]:tptr[p + 1]] holds, for each
    common neighbour w of u and c, the CSR position of the edge (c, w) in
    N(c). Storing positions, not nodes, lets EC follow triangles edge to
    edge without searching."""
    n = indptr.shape[0] - 1
    tlist = np.empty(tptr[-1], dtype=np.int64)
    for u in prange(n):
        for p in range(indptr[u], indptr[u + 1]):
            _common_neighbours(indptr, indices, u, indices[p], tlist, tptr[p])
    return tlist


# Keys that can be nonzero for an adjacent pair, and for a non-adjacent one.
HOP1_KEYS = np.array([0, 1, 2, 4, 5, 6, 9, 11, 12, 14, 16, 17, 18, 19, 20, 23, 24, 25, 27])
HOP23_KEYS = np.array([3, 7, 8, 10, 13, 15, 21, 22, 26])
HOP3_KEYS = np.array([10])             # all a distance-3 pair can have
# Columns of the per-node accumulator rows (one 64-byte cache line per node).
K, SD, SU, SV, EC, A3, NBR = 0, 1, 2, 3, 4, 5, 6


@njit(cache=True, nogil=True, inline="always")
def pair_values(adjacent, du, dv, k, sd, su, sv, ec, a3, tri_u, tri_v, d2u, d2v, vals):
    """Fills vals (indexed like ORBIT_ADJACENCY_KEYS) for one ordered pair;
    only the entries of HOP1_KEYS (adjacent) or HOP23_KEYS are written."""
    if adjacent:
        t = k
        only_u = du - 1 - t                       # |N(u) \ N[v]|
        only_v = dv - 1 - t                       # |N(v) \ N[u]|
        edges_u = tri_u - su + ec                 # edges inside N(u) \ N[v]
        edges_v = tri_v - sv + ec                 # edges inside N(v) \ N[u]
        # edges between N(u)\N[v] and N(v)\N[u]: 3-walks u-w-x-v minus those
        # that revisit u or v or pass through the common neighbourhood
        cross = a3 - du - dv + 1 + 2 * t + 2 * ec - su - sv
        vals[0] = 1
        vals[1] = only_v
        vals[2] = only_u
        vals[4] = t
        vals[5] = d2v - du - sd - 2 * tri_v + t + sv - only_v - cross
        vals[6] = d2u - dv - sd - 2 * tri_u + t + su - only_u - cross
        vals[9] = only_u * only_v - cross
        vals[11] = only_v * (only_v - 1) // 2 - edges_v
        vals[12] = only_u * (only_u - 1) // 2 - edges_u
        vals[14] = cross
        vals[16] = edges_v
        vals[17] = edges_u
        vals[18] = sd - su - sv + 2 * ec
        vals[19] = t * (dv - t) - sv + 2 * ec
        vals[20] = t * (du - t) - su + 2 * ec
        vals[23] = sv - t - 2 * ec
        vals[24] = su - t - 2 * ec
        vals[25] = t * (t - 1) // 2 - ec
        vals[27] = ec
    else:
        vals[3] = k
        vals[7] = k * (dv - k) - sv + 2 * ec
        vals[8] = k * (du - k) - su + 2 * ec
        vals[10] = a3 - su - sv + 2 * ec
        vals[13] = sd - 2 * k - su - sv + 2 * ec
        vals[15] = k * (k - 1) // 2 - ec
        vals[21] = sv - 2 * ec
        vals[22] = su - 2 * ec
        vals[26] = ec


@njit(cache=True, nogil=True, inline="always")
def _touch(v, seen, touched, count):
    """Registers v as a column of the current row; returns the new count."""
    if seen[v] == 0:
        seen[v] = 1
        touched[count] = v
        return count + 1
    return count


@njit(cache=True, nogil=True)
def orbit_rows(u0, u1, indptr, indices, deg, tri, d2, t, tptr, tlist, wanted, need_a3,
               counts_only, acc, seen, touched, stream_cols, stream_vals, stream_keys):
    """Rows u0..u1-1 of the wanted matrices.

    Scratch (one set per thread, left as found): acc int64[n, 8] with the
    NBR column at -1 and the rest 0, seen uint8[n] zeros, touched int64[n];
    stream_* are entry buffers of any equal length, reused across calls so
    their memory is not faulted in again.

    Returns (row_stat[rows, 28], cols, vals, stream buffers): row_stat[i, key]
    is the number of entries of row u0 + i in matrix key, and cols[key] /
    vals[key] are that matrix's entries for these rows in row-major,
    column-sorted order; the stream buffers, possibly grown, are for the
    next call. With counts_only, row_stat holds the row sums and the lists
    are empty.
    """
    n = indptr.shape[0] - 1
    rows = u1 - u0
    row_stat = np.zeros((rows, NUM_KEYS), dtype=np.int64)
    # one entry stream for all keys (cheap appends), split by key at the end
    capacity = stream_cols.shape[0]
    size = 0
    vals = np.zeros(NUM_KEYS, dtype=np.int64)
    hop1 = HOP1_KEYS[wanted[HOP1_KEYS]]
    hop23 = HOP23_KEYS[wanted[HOP23_KEYS]]
    hop3 = HOP3_KEYS[wanted[HOP3_KEYS]]
    for u in range(u0, u1):
        count = 0
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            acc[v, NBR] = u
            count = _touch(v, seen, touched, count)
        # wedges u-c-v: k, Sd, Su, Sv
        for p in range(indptr[u], indptr[u + 1]):
            c = indices[p]
            dc, tuc = deg[c], t[p]
            for q in range(indptr[c], indptr[c + 1]):
                v = indices[q]
                if v == u:
                    continue
                count = _touch(v, seen, touched, count)
                acc[v, K] += 1
                acc[v, SD] += dc
                acc[v, SU] += tuc
                acc[v, SV] += t[q]
        # EC: every triangle (u, c, w) with c < w, extended by each x in N(c) & N(w)
        for p in range(indptr[u], indptr[u + 1]):
            c = indices[p]
            for e in range(tptr[p], tptr[p + 1]):
                q = tlist[e]
                if indices[q] < c:
                    continue
                for f in range(tptr[q], tptr[q + 1]):
                    x = indices[tlist[f]]
                    if x != u:
                        acc[x, EC] += 1
        # A3[u, :] = A2[u, :] A, with A2[u, u] = d(u)
        if need_a3:
            within_two = count
            for i in range(within_two):
                w = touched[i]
                walks = acc[w, K]
                if walks == 0:
                    continue
                for q in range(indptr[w], indptr[w + 1]):
                    v = indices[q]
                    if v == u:
                        continue
                    count = _touch(v, seen, touched, count)
                    acc[v, A3] += walks
            for p in range(indptr[u], indptr[u + 1]):
                acc[indices[p], A3] += deg[u]
        # columns in ascending order: sort a short row, scan the marks of a long one
        if count * 64 < n:
            order = np.sort(touched[:count])
        else:
            order = touched[:count]
            filled = 0
            for v in range(n):
                if seen[v]:
                    order[filled] = v
                    filled += 1
        for v in order:
            adjacent = acc[v, NBR] == u
            if adjacent or acc[v, K] > 0:
                pair_values(adjacent, deg[u], deg[v], acc[v, K], acc[v, SD], acc[v, SU],
                            acc[v, SV], acc[v, EC], acc[v, A3], tri[u], tri[v], d2[u], d2[v], vals)
                keys = hop1 if adjacent else hop23
            else:
                vals[10] = acc[v, A3]
                keys = hop3
            for key in keys:
                value = vals[key]
                if value == 0:
                    continue
                if counts_only:
                    row_stat[u - u0, key] += value
                    continue
                row_stat[u - u0, key] += 1
                if size == capacity:
                    capacity = 2 * capacity + 1024
                    stream_cols = _grow(stream_cols, capacity)
                    stream_vals = _grow(stream_vals, capacity)
                    stream_keys = _grow(stream_keys, capacity)
                stream_cols[size] = v
                stream_vals[size] = value
                stream_keys[size] = key
                size += 1
            seen[v] = 0
            acc[v, K] = 0
            acc[v, SD] = 0
            acc[v, SU] = 0
            acc[v, SV] = 0
            acc[v, EC] = 0
            acc[v, A3] = 0
    # one exact array per key: count, then copy each key's entries in stream order
    start = np.zeros(NUM_KEYS + 1, dtype=np.int64)
    for i in range(size):
        start[stream_keys[i] + 1] += 1
    cols = List()
    vals_out = List()
    for key in range(NUM_KEYS):
        cols.append(np.empty(start[key + 1], dtype=np.int64))
        vals_out.append(np.empty(start[key + 1], dtype=np.int64))
    for key in range(NUM_KEYS):
        if start[key + 1] == 0:
            continue
        key_cols, key_vals = cols[key], vals_out[key]
        filled = 0
        for i in range(size):
            if stream_keys[i] == key:
                key_cols[filled] = stream_cols[i]
                key_vals[filled] = stream_vals[i]
                filled += 1
    return row_stat, cols, vals_out, stream_cols, stream_vals, stream_keys


@njit(cache=True, nogil=True)
def _grow(array, capacity):
    grown = np.empty(capacity, dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown
