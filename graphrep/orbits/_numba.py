"""Numba kernels for the 28 orbit adjacency matrices.

Counting scheme (the same as csrc/orbits.cpp; see docs/orbits.rst for the
derivations). For an ordered pair (u, v) let C = N(u) & N(v), k = |C|, and
t(x, y) = |N(x) & N(y)| for an edge (x, y). Every count follows from a few
aggregates over C that one pass over the wedges u-c-v collects:

    k, Sd = sum_{c in C} d(c), Su = sum_{c in C} t(u, c), Sv = sum_{c in C} t(c, v),
    EC = number of edges inside C,  A3 = (A^3)[u, v],

plus per-node d(u), tri(u) (triangles at u) and d2(u) = sum_{w in N(u)} d(w).
Non-induced counts come from these by inclusion-exclusion over which
neighbours are shared; only the edges among a row's neighbours (for EC) and
walks of length <= 3
(for A3, as a sparse row product A^2[u, :] A) are enumerated, never the
4-node subgraphs themselves.

Only the aggregates the wanted keys read are collected (the switches of
:func:`graphrep.orbits.plan.kernel_flags`), and nothing is stored per
triangle. Rows are independent, so the driver splits them into chunks and
runs ``orbit_rows`` on several threads (``nogil``); chunk results are joined
in row order, so the output does not depend on the thread count.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange
from numba.typed import List

NUM_KEYS = 28


@njit(cache=True, nogil=True, inline="always")
def _lower(deg, a, b):
    """(d(a), a) < (d(b), b): an edge is handled from its end of larger degree."""
    return deg[a] < deg[b] or (deg[a] == deg[b] and a < b)


@njit(cache=True, parallel=True)
def edge_triangle_counts(indptr, indices, deg, parts):
    """t[p] = |N(u) & N(c)| for the edge stored at CSR position p = (u, c),
    counted once per edge by scanning the smaller list against marks on the
    larger (O(sum over edges of the smaller degree)), then copied to the
    reverse position."""
    n = indptr.shape[0] - 1
    t = np.zeros(indices.shape[0], dtype=np.int64)
    for part in prange(parts):
        mark = np.full(n, -1, dtype=np.int64)
        for u in range(part, n, parts):
            for p in range(indptr[u], indptr[u + 1]):
                mark[indices[p]] = u
            for p in range(indptr[u], indptr[u + 1]):
                c = indices[p]
                if not _lower(deg, c, u):
                    continue
                common = 0
                for q in range(indptr[c], indptr[c + 1]):
                    if mark[indices[q]] == u:
                        common += 1
                t[p] = common
    for u in prange(n):
        for p in range(indptr[u], indptr[u + 1]):
            c = indices[p]
            if _lower(deg, c, u):
                continue
            t[p] = t[indptr[c] + np.searchsorted(indices[indptr[c]:indptr[c + 1]], u)]
    return t


# Keys that can be nonzero for an adjacent pair, and for a non-adjacent one.
HOP1_KEYS = np.array([0, 1, 2, 4, 5, 6, 9, 11, 12, 14, 16, 17, 18, 19, 20, 23, 24, 25, 27])
HOP23_KEYS = np.array([3, 7, 8, 10, 13, 15, 21, 22, 26])
HOP3_KEYS = np.array([10])             # all a distance-3 pair can have
# Columns of the per-node accumulator rows (one 64-byte cache line per node):
# the aggregates, NBR == u on the neighbours of row u, MARK == epoch on N(c).
K, SD, SU, SV, EC, A3, NBR, MARK = 0, 1, 2, 3, 4, 5, 6, 7
# Kernel switches, as graphrep.orbits.plan.kernel_flags sets them.
F_FAR, F_WEDGE_ALL, F_WEDGE_NEAR, F_T, F_EC, F_A3_FAR, F_A3_NEAR = 1, 2, 4, 8, 16, 32, 64
# Emission modes: entries, row entry counts.
MODE_ENTRIES, MODE_ROW_NNZ = 0, 1


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


@njit(cache=True, nogil=True, inline="always")
def _reset(acc, seen, v):
    acc[v, K] = 0
    acc[v, SD] = 0
    acc[v, SU] = 0
    acc[v, SV] = 0
    acc[v, EC] = 0
    acc[v, A3] = 0
    seen[v] = 0


@njit(cache=True, nogil=True)
def orbit_rows(rows, indptr, indices, deg, tri, d2, t, wanted, flags, mode, max_entries,
               acc, seen, touched, ego, epoch, stream_cols, stream_vals, stream_keys):
    """The wanted matrices' rows ``rows`` (in that order).

    Scratch (one set per thread, left as found): acc int64[n, 8] with the
    NBR column at -1 and the rest 0, seen uint8[n] zeros, touched and ego
    int64[n], epoch int64[1]; stream_* are entry buffers of any equal length,
    reused across calls so their memory is not faulted in again. ``flags``
    (:func:`graphrep.orbits.plan.kernel_flags`) says which aggregates to
    collect; ``t`` may be empty without ``F_T``, ``tri`` and ``d2`` zeros
    when no wanted key reads them.

    Stops after the row at which ``max_entries`` entries are held (-1: never).
    Returns (done, row_stat[len(rows), 28], cols, vals, stream buffers): the
    first ``done`` rows were computed; row_stat[i, key] is the number of
    entries of row rows[i] in matrix key, and cols[key] / vals[key] are that
    matrix's entries of those rows in order, column-sorted (MODE_ENTRIES
    only; MODE_ROW_NNZ counts without keeping them); the
    stream buffers, possibly grown, are for the next call.
    """
    n = indptr.shape[0] - 1
    far = flags & F_FAR != 0
    wedge_all = flags & F_WEDGE_ALL != 0
    wedge_near = flags & F_WEDGE_NEAR != 0
    need_t = flags & F_T != 0
    need_ec = flags & F_EC != 0
    a3_far = flags & F_A3_FAR != 0
    a3_near = flags & F_A3_NEAR != 0
    row_stat = np.zeros((rows.shape[0], NUM_KEYS), dtype=np.int64)
    # one entry stream for all keys (cheap appends), split by key at the end
    capacity = stream_cols.shape[0]
    size = 0
    vals = np.zeros(NUM_KEYS, dtype=np.int64)
    hop1 = HOP1_KEYS[wanted[HOP1_KEYS]]
    hop23 = HOP23_KEYS[wanted[HOP23_KEYS]]
    hop3 = HOP3_KEYS[wanted[HOP3_KEYS]]
    done = 0
    for i in range(rows.shape[0]):
        u = rows[i]
        count = 0
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            acc[v, NBR] = u
            if wedge_all:
                count = _touch(v, seen, touched, count)
        # wedges u-c-v: k, Sd, Su, Sv at every v, or only at the neighbours of u
        if wedge_all or wedge_near:
            for p in range(indptr[u], indptr[u + 1]):
                c = indices[p]
                dc = deg[c]
                tuc = t[p] if need_t else 0
                for q in range(indptr[c], indptr[c + 1]):
                    v = indices[q]
                    if wedge_all:
                        if v == u:
                            continue
                        count = _touch(v, seen, touched, count)
                    elif acc[v, NBR] != u:
                        continue
                    acc[v, K] += 1
                    acc[v, SD] += dc
                    if need_t:
                        acc[v, SU] += tuc
                        acc[v, SV] += t[q]
        # EC: each edge (c, w) inside N(u), taken from its larger end c, adds
        # 1 at every x in N(c) & N(w) (N(c) marked, N(w) scanned)
        if need_ec:
            for p in range(indptr[u], indptr[u + 1]):
                c = indices[p]
                found = 0
                for q in range(indptr[c], indptr[c + 1]):
                    w = indices[q]
                    if acc[w, NBR] == u and _lower(deg, w, c):
                        ego[found] = w
                        found += 1
                if found == 0:
                    continue
                epoch[0] += 1
                stamp = epoch[0]
                for q in range(indptr[c], indptr[c + 1]):
                    acc[indices[q], MARK] = stamp
                for j in range(found):
                    w = ego[j]
                    for r in range(indptr[w], indptr[w + 1]):
                        x = indices[r]
                        if acc[x, MARK] == stamp and (far or acc[x, NBR] == u):
                            acc[x, EC] += 1
            acc[u, EC] = 0  # u lies in every N(c) & N(w) here; it is not a column
        # A3[u, :] = A2[u, :] A, with A2[u, u] = d(u): the full row product, or
        # on the edges only, A3[u, v] = d(u) + sum over w in N(v) - u of k(u, w)
        if a3_far:
            within_two = count
            for j in range(within_two):
                w = touched[j]
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
        elif a3_near:
            for p in range(indptr[u], indptr[u + 1]):
                v = indices[p]
                walks = deg[u]
                for q in range(indptr[v], indptr[v + 1]):
                    if indices[q] != u:
                        walks += acc[indices[q], K]
                acc[v, A3] = walks
        if far:
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
        else:
            order = indices[indptr[u]:indptr[u + 1]]
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
                row_stat[i, key] += 1
                if mode == MODE_ROW_NNZ:
                    continue
                if size == capacity:
                    capacity = 2 * capacity + 1024
                    stream_cols = _grow(stream_cols, capacity)
                    stream_vals = _grow(stream_vals, capacity)
                    stream_keys = _grow(stream_keys, capacity)
                stream_cols[size] = v
                stream_vals[size] = value
                stream_keys[size] = key
                size += 1
            if far:
                _reset(acc, seen, v)
        if not far:
            if wedge_all:
                for j in range(count):
                    _reset(acc, seen, touched[j])
            else:
                for p in range(indptr[u], indptr[u + 1]):
                    _reset(acc, seen, indices[p])
        done = i + 1
        if max_entries >= 0 and size >= max_entries:
            break
    # one exact array per key: count, then copy each key's entries in stream order
    start = np.zeros(NUM_KEYS + 1, dtype=np.int64)
    for j in range(size):
        start[stream_keys[j] + 1] += 1
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
        for j in range(size):
            if stream_keys[j] == key:
                key_cols[filled] = stream_cols[j]
                key_vals[filled] = stream_vals[j]
                filled += 1
    return done, row_stat, cols, vals_out, stream_cols, stream_vals, stream_keys


@njit(cache=True, nogil=True)
def _grow(array, capacity):
    grown = np.empty(capacity, dtype=array.dtype)
    grown[: array.shape[0]] = array
    return grown
