"""Numba kernels for the five-node counts (the same scheme as csrc/counts5.cpp).

Every kernel column is a rooted homomorphism count ``h(x, y)`` of one
graphlet pattern at an ordered edge ``(x, y)`` (``graphrep/orbits/_system5.py``
lists them; ``docs/counts5.rst`` derives each one). Three passes over the
roots ``x``, each over a range of roots so that the driver can run ranges on
several threads (``nogil``); a root writes only its own rows (its node row,
or the CSR slots of its edges), except the slot ``(y, x)`` of a pair ``x < y``
in :func:`edge_statistics`, which no other root writes.

* :func:`edge_triangles`: ``t(x, y) = |N(x) & N(y)|`` on every slot.
* :func:`edge_statistics`: per edge, from the root's 2-walk row
  ``c(p) = |N(x) & N(p)|`` and the common neighbourhood ``C = N(x) & N(y)``:
  ``A3 = (A^3)[x, y]``, ``Td = sum_C d``, ``TT(x->y) = sum_C t(x, .)``, ``k4``
  (edges inside ``C``), ``k5`` (triangles inside ``C``, found along a degree
  ordering), and per node ``C4h(x) = (A^4)[x, x]``.
* :func:`rooted_counts`: the 82 columns, from the rows ``c``, ``ct``
  (2-walks weighted by the far edge's triangles), ``W3 = (A^3)[x, :]``, ``e``
  (ordered edges inside ``N(x) & N(p)``) and two sweeps over the
  neighbourhoods of the common neighbours ``w`` of each edge, which give
  ``kappa(w) = |N(w) & C|``, the wheel and near-clique counts.
"""
from __future__ import annotations

import numpy as np
from numba import njit

NUM_COLUMNS = 82
NUM_REMOTE = 3


@njit(cache=True, nogil=True)
def edge_triangles(u0, u1, indptr, indices, mark, t):
    """t[s] = |N(x) & N(y)| for each slot s = (x, y) of the roots u0..u1-1;
    ``mark`` is an all -1 scratch of length n, left all -1."""
    for x in range(u0, u1):
        for s in range(indptr[x], indptr[x + 1]):
            mark[indices[s]] = s
        for s in range(indptr[x], indptr[x + 1]):
            y = indices[s]
            found = 0
            for r in range(indptr[y], indptr[y + 1]):
                if mark[indices[r]] >= 0:
                    found += 1
            t[s] = found
        for s in range(indptr[x], indptr[x + 1]):
            mark[indices[s]] = -1


@njit(cache=True, nogil=True)
def edge_statistics(u0, u1, indptr, indices, deg, t, out_ptr, out_idx,
                    mark, c, touched, stamp, inner, common, counter, a3, td, tt, k4, k5, c4h):
    """Per-edge statistics for the pairs x < y with x in u0..u1-1 (both slots
    written), and c4h[x]. ``out_ptr``/``out_idx``: each node's neighbours of
    higher ``rank`` (degree order). Scratch: ``mark`` all -1, ``c`` zeros,
    ``stamp``/``inner`` zeros, ``touched``/``common`` any; ``counter[0]``
    numbers the stamps and grows across calls."""
    key = counter[0]
    for x in range(u0, u1):
        for s in range(indptr[x], indptr[x + 1]):
            mark[indices[s]] = s
        # 2-walk row c(p) = |N(x) & N(p)|, p = x included
        size = 0
        for s in range(indptr[x], indptr[x + 1]):
            y = indices[s]
            for r in range(indptr[y], indptr[y + 1]):
                p = indices[r]
                if c[p] == 0:
                    touched[size] = p
                    size += 1
                c[p] += 1
        # closed 4-walks at x: sum_p c(p)^2
        total = 0
        for i in range(size):
            total += c[touched[i]] * c[touched[i]]
        c4h[x] = total
        for sxy in range(indptr[x], indptr[x + 1]):
            y = indices[sxy]
            if y < x:
                continue
            key += 1
            walks3 = 0
            ncommon = 0
            sum_d = 0
            sum_tx = 0
            sum_ty = 0
            for syw in range(indptr[y], indptr[y + 1]):
                w = indices[syw]
                walks3 += c[w]                     # 3-walks x - . - w - y
                if mark[w] >= 0:                   # w in C: triangle x, y, w
                    common[ncommon] = w
                    ncommon += 1
                    stamp[w] = key
                    sum_d += deg[w]
                    sum_tx += t[mark[w]]
                    sum_ty += t[syw]
            # k4: edges inside C, each once along the degree order; k5:
            # triangles w < u < v inside C (v marked as a higher neighbour of w)
            cliques4 = 0
            cliques5 = 0
            for i in range(ncommon):
                w = common[i]
                for r in range(out_ptr[w], out_ptr[w + 1]):
                    u = out_idx[r]
                    if stamp[u] == key:
                        cliques4 += 1
                        inner[u] = key
                for r in range(out_ptr[w], out_ptr[w + 1]):
                    u = out_idx[r]
                    if stamp[u] == key:
                        for q in range(out_ptr[u], out_ptr[u + 1]):
                            if inner[out_idx[q]] == key:
                                cliques5 += 1
                for r in range(out_ptr[w], out_ptr[w + 1]):
                    inner[out_idx[r]] = 0
            syx = _slot(indptr, indices, y, x)
            a3[sxy] = a3[syx] = walks3
            td[sxy] = td[syx] = sum_d
            tt[sxy] = sum_tx
            tt[syx] = sum_ty
            k4[sxy] = k4[syx] = cliques4
            k5[sxy] = k5[syx] = cliques5
        for i in range(size):
            c[touched[i]] = 0
        for s in range(indptr[x], indptr[x + 1]):
            mark[indices[s]] = -1
    counter[0] = key


@njit(cache=True, nogil=True, inline="always")
def _slot(indptr, indices, y, x):
    """Position of x in N(y) (binary search in the sorted row)."""
    lo, hi = indptr[y], indptr[y + 1]
    while lo < hi:
        mid = (lo + hi) // 2
        if indices[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


@njit(cache=True, nogil=True)
def rooted_counts(u0, u1, per_slot, indptr, indices, rev, deg, s1, s2, w3n, tri, q1, p1, dg, dt, c4h, k4n,
                  t, a3, td, tt, k4, k5, out, remote,
                  mark, stamp, counter, c, ct, w3, erow, cnt, list2, list3, liste, listc, common, cxw, cyw):
    """The 82 columns for the roots u0..u1-1: added to ``out[slot]`` for each
    slot (x, y) when ``per_slot``, else summed into ``out[x]`` and, for the
    three columns whose node count belongs to y, into ``remote[y]``.
    Scratch of length n: ``mark`` all -1, ``c ct w3 erow cnt`` zeros,
    ``stamp`` zeros (``counter[0]`` numbers the stamps), the rest any."""
    key = counter[0]
    for x in range(u0, u1):
        for s in range(indptr[x], indptr[x + 1]):
            mark[indices[s]] = s
        dx = deg[x]
        # rows over the 2-ball: c(p) = |N(x) & N(p)|, ct(p) = sum over q in N(x) & N(p) of t(q, p)
        n2 = 0
        for sxq in range(indptr[x], indptr[x + 1]):
            q = indices[sxq]
            for sqp in range(indptr[q], indptr[q + 1]):
                p = indices[sqp]
                if c[p] == 0:
                    list2[n2] = p
                    n2 += 1
                c[p] += 1
                ct[p] += t[sqp]
        # W3(p) = (A^3)[x, p] = sum over q in N(p) of c(q)
        n3 = 0
        for i in range(n2):
            q = list2[i]
            cq = c[q]
            for r in range(indptr[q], indptr[q + 1]):
                p = indices[r]
                if w3[p] == 0:
                    list3[n3] = p
                    n3 += 1
                w3[p] += cq
        ne = 0
        for sxy in range(indptr[x], indptr[x + 1]):
            y = indices[sxy]
            dy = deg[y]
            row = sxy if per_slot else x
            key += 1
            # C = N(x) & N(y), with the slots (x, w) and (y, w)
            nc = 0
            for syw in range(indptr[y], indptr[y + 1]):
                w = indices[syw]
                stamp[w] = key
                if mark[w] >= 0:
                    common[nc] = w
                    cxw[nc] = mark[w]
                    cyw[nc] = syw
                    nc += 1
            txy = t[sxy]
            sum_tyw = sum_txw = sum_s1w = sum_dw2 = sum_triw = sum_tdyw = 0
            sum_dtxw = sum_a3yw = sum_tyw2 = sum_ttyw = sum_ttxw = sum_ttwx = 0
            sum_txtyw = sum_k4yw = 0
            for i in range(nc):
                w = common[i]
                sxw = cxw[i]
                syw = cyw[i]
                sum_tyw += t[syw]
                sum_txw += t[sxw]
                sum_s1w += s1[w]
                sum_dw2 += deg[w] * deg[w]
                sum_triw += tri[w]
                sum_tdyw += td[syw]
                sum_dtxw += deg[w] * t[sxw]
                sum_a3yw += a3[syw]
                sum_tyw2 += t[syw] * t[syw]
                sum_ttyw += tt[syw]             # TT(y -> w)
                sum_ttxw += tt[sxw]             # TT(x -> w)
                sum_ttwx += tt[rev[sxw]]        # TT(w -> x)
                sum_txtyw += t[sxw] * t[syw]
                sum_k4yw += k4[syw]
            # first sweep over N(w), w in C: cnt(u) = |N(u) & C|; e(u) gains
            # the ordered edges (y, w) inside N(x) & N(u)
            nt = 0
            g25 = 0
            g26 = 0
            for i in range(nc):
                w = common[i]
                for swu in range(indptr[w], indptr[w + 1]):
                    u = indices[swu]
                    if cnt[u] == 0:
                        listc[nt] = u
                        nt += 1
                    cnt[u] += 1
                    if stamp[u] == key:            # u in N(y)
                        if erow[u] == 0:
                            liste[ne] = u
                            ne += 1
                        erow[u] += 1
                        g25 += c[u]
                        if mark[u] >= 0:           # u in C
                            g26 += t[swu]
            s_all = s_x = s_y = 0
            for i in range(nt):
                u = listc[i]
                v = cnt[u] * cnt[u]
                s_all += v
                if mark[u] >= 0:
                    s_x += v
                if stamp[u] == key:
                    s_y += v
            sum_k = sum_dk = sum_k2 = sum_tyk = 0
            for i in range(nc):
                kappa = cnt[common[i]]
                sum_k += kappa
                sum_dk += deg[common[i]] * kappa
                sum_k2 += kappa * kappa
                sum_tyk += t[cyw[i]] * kappa
            # second sweep: with y as the hub, rim(x, w) gains the edges from
            # N(w) & N(y) into C; for u in C & N(w), the 5-clique minus an
            # edge with x, y, w, u has cnt(w) choices for its fifth node
            for i in range(nc):
                w = common[i]
                kappa = cnt[w]
                rim = 0
                for swu in range(indptr[w], indptr[w + 1]):
                    u = indices[swu]
                    if stamp[u] == key:
                        rim += cnt[u]
                        if mark[u] >= 0:
                            out[mark[u] if per_slot else x, 79] += kappa
                            if not per_slot:
                                remote[u, 2] += kappa
                out[cxw[i] if per_slot else x, 78] += rim
            for i in range(nt):
                cnt[listc[i]] = 0
            # every column that only needs this edge's own statistics
            txy2 = txy * txy
            o = out[row]
            o[0] += dx
            o[1] += dy
            o[2] += txy
            o[3] += s1[y]
            o[4] += dx * dy
            o[5] += dy * dy
            o[6] += dx * dx
            o[7] += a3[sxy]
            o[8] += 2 * tri[y]
            o[9] += td[sxy]
            o[10] += 2 * tri[x]
            o[11] += txy * dx
            o[12] += sum_tyw
            o[13] += txy2
            o[14] += 2 * k4[sxy]
            o[15] += w3n[y]
            o[16] += w3n[x]
            o[17] += dy * s1[x]
            o[18] += s2[y]
            o[19] += dy * s1[y]
            o[20] += s2[x]
            o[21] += dx * dx * dy
            o[22] += dy * dy * dy
            o[23] += dx * dx * dx
            o[24] += p1[y]
            o[25] += dy * td[sxy]
            o[26] += dx * dy * txy
            o[27] += 2 * q1[y]
            o[28] += 2 * q1[x]
            o[29] += sum_s1w
            o[30] += 2 * tri[x] * dy
            o[31] += txy * s1[x]
            o[32] += 2 * tri[y] * dy
            o[33] += sum_dw2
            o[34] += 2 * tri[x] * dx
            o[35] += txy * dx * dx
            o[37] += c4h[y]
            o[39] += dy * a3[sxy]
            o[40] += c4h[x]
            o[41] += dg[y]
            o[42] += dy * sum_tyw
            o[43] += dy * txy2
            o[44] += dg[x]
            o[45] += sum_dtxw
            o[46] += 2 * sum_triw
            o[47] += 2 * txy * tri[x]
            o[48] += dt[y]
            o[49] += sum_tdyw
            o[50] += dt[x]
            o[51] += txy * td[sxy]
            o[52] += dx * sum_tyw
            o[55] += sum_a3yw
            o[56] += txy * a3[sxy]
            o[58] += sum_tyw2
            o[59] += txy2 * txy
            o[60] += 6 * k4n[y]
            o[61] += sum_dk
            o[62] += 6 * k4n[x]
            o[63] += dy * sum_k
            o[64] += sum_ttyw
            o[65] += sum_txtyw
            o[66] += sum_ttxw
            o[67] += sum_ttwx
            o[68] += txy * sum_txw
            o[70] += s_all
            o[71] += g25
            o[72] += 2 * sum_k4yw
            o[73] += g26
            o[74] += txy * sum_k
            o[75] += sum_tyk
            o[76] += s_y
            o[77] += s_x
            o[80] += sum_k2
            o[81] += 6 * k5[sxy]
        # columns that sum a row over N(y); the row e is complete only now
        for sxy in range(indptr[x], indptr[x + 1]):
            y = indices[sxy]
            row = sxy if per_slot else x
            sum_w3 = sum_c2 = sum_dc = sum_ct = sum_e = sum_tc = 0
            for syp in range(indptr[y], indptr[y + 1]):
                p = indices[syp]
                cp = c[p]
                sum_w3 += w3[p]
                sum_c2 += cp * cp
                sum_dc += deg[p] * cp
                sum_ct += ct[p]
                sum_e += erow[p]
                sum_tc += t[syp] * cp
            o = out[row]
            o[36] += sum_w3
            o[38] += sum_dc
            o[53] += sum_c2
            o[54] += sum_ct
            o[57] += sum_tc
            o[69] += sum_e
            if not per_slot:
                remote[y, 0] += sum_c2
                remote[y, 1] += sum_e
        for i in range(n2):
            c[list2[i]] = 0
            ct[list2[i]] = 0
        for i in range(n3):
            w3[list3[i]] = 0
        for i in range(ne):
            erow[liste[i]] = 0
        for s in range(indptr[x], indptr[x + 1]):
            mark[indices[s]] = -1
    counter[0] = key
