"""Numba kernels for the non-induced counts behind node and edge orbit counts
of graphlets on 2-4 nodes (the same stages as csrc/counts.cpp; the
derivations are in docs/counts.rst).

Nodes are ranked by ascending (degree, id) and every neighbour list is
re-sorted by rank (node ids stay as they are, so a graph's own locality is
kept): ``Out(v)``, the neighbours ranked above ``v``, is the tail of the row
from ``hi[v]`` and ``In(v)`` its head. Stages, each over a range of rows and
run by several threads on disjoint ranges:

* ``triangle_rows``: for each ``v`` and each pair ``u, w`` in ``Out(v)``
  joined by an edge, the triangle ``(v, u, w)`` adds 1 to ``t`` of its three
  edges (stored at the position of the edge in its lower-ranked end's row);
* ``mirror_rows``: copies ``t`` to the other direction of each edge;
* ``clique_rows``: the subgraph ``G_v`` induced on ``Out(v)`` as bit rows;
  every edge ``(u, w)`` of ``G_v`` is a triangle with lowest node ``v``, and
  the common ``G_v``-neighbours of ``u`` and ``w`` (a popcount) are the
  4-cliques ``{v, u, w, x}`` with lowest node ``v``; the same loop adds the
  triangle sums that need ``t`` (opposite-edge ``t`` per node; third-node
  degree and side ``t`` per edge);
* ``cycle_rows``: for each ``v``, the wedges ``v - u - w`` with ``u, w`` ranked
  below ``v`` count, for each ``w``, the paths ``paths[w]``; ``C(paths[w], 2)``
  4-cycles have ``v`` as their highest node and ``w`` opposite it;
* ``node_rows`` / ``edge_rows``: the non-induced counts of each node or edge
  from these sums (the system in :mod:`graphrep.orbits.systems` then gives
  the induced ones).

Per-node sums go to per-thread arrays (summed when assembled), per-edge
writes that other threads may also make go through :func:`atomic_add`; all
values are integers, so the result does not depend on the order of the
additions, hence not on the thread count.
"""
from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def atomic_add(typingctx, array, index, value):
    """``array[index] += value`` as one atomic read-modify-write (int64 arrays)."""
    if not (isinstance(array, types.Array) and array.dtype == types.int64):
        return None
    signature = types.void(array, types.intp, types.int64)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, [args[1]], wraparound=False)
        builder.atomic_rmw("add", pointer, args[2], "monotonic")
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def popcount(typingctx, word):
    """Number of set bits of a uint64 (one POPCNT instruction)."""
    if word != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.zext(builder.ctpop(args[0]), context.get_value_type(types.int64))

    return types.int64(types.uint64), codegen


@njit(cache=True, nogil=True)
def rank_nodes(indptr):
    """``rank[v]``: the position of ``v`` in ascending (degree, id) order, by a
    counting sort on degree."""
    n = indptr.shape[0] - 1
    max_degree = 0
    for v in range(n):
        max_degree = max(max_degree, indptr[v + 1] - indptr[v])
    start = np.zeros(max_degree + 2, dtype=np.int64)
    for v in range(n):
        start[indptr[v + 1] - indptr[v] + 1] += 1
    for d in range(max_degree + 1):
        start[d + 1] += start[d]
    rank = np.empty(n, dtype=np.int64)
    for v in range(n):
        d = indptr[v + 1] - indptr[v]
        rank[v] = start[d]
        start[d] += 1
    return rank


@njit(cache=True, nogil=True)
def sort_rows(v0, v1, ptr, indices, rank, adj, hi, origin, keep_origin):
    """Rows v0..v1-1 re-sorted by neighbour rank into ``adj``; ``hi[v]`` is the
    first position of ``Out(v)`` and, with keep_origin, ``origin[p]`` the
    input position of the entry now at ``p``."""
    for v in range(v0, v1):
        base, size = ptr[v], ptr[v + 1] - ptr[v]
        if size <= 32:
            # insertion sort: rows are short in sparse graphs
            for i in range(size):
                x = indices[base + i]
                key = rank[x]
                j = i - 1
                while j >= 0 and rank[adj[base + j]] > key:
                    adj[base + j + 1] = adj[base + j]
                    if keep_origin:
                        origin[base + j + 1] = origin[base + j]
                    j -= 1
                adj[base + j + 1] = x
                if keep_origin:
                    origin[base + j + 1] = base + i
        else:
            permutation = np.argsort(rank[indices[base:base + size]])
            adj[base:base + size] = indices[base:base + size][permutation]
            if keep_origin:
                origin[base:base + size] = base + permutation
        below = 0
        while below < size and rank[adj[base + below]] < rank[v]:
            below += 1
        hi[v] = base + below


@njit(cache=True, nogil=True)
def reverse_rows(v0, v1, ptr, adj, hi, rank, rev):
    """``rev[p]`` for the edges of Out(v), v in v0..v1-1, and for their other
    positions: ``v`` sits in ``In(u)``, sorted by rank, found by bisection."""
    for v in range(v0, v1):
        rank_v = rank[v]
        for p in range(hi[v], ptr[v + 1]):
            u = adj[p]
            low, high = ptr[u], hi[u]
            while low < high:
                middle = (low + high) >> 1
                if rank[adj[middle]] < rank_v:
                    low = middle + 1
                else:
                    high = middle
            rev[p] = low
            rev[low] = p


@njit(cache=True, nogil=True)
def stage_work(ptr, adj, hi, cycles):
    """Estimated work per row: the out-degrees of ``Out(v)`` (triangle and
    clique stages) or the degrees of ``In(v)`` (cycle stage), plus ``d(v)``."""
    n = ptr.shape[0] - 1
    work = np.empty(n, dtype=np.int64)
    for v in range(n):
        total = ptr[v + 1] - ptr[v]
        if cycles:
            for p in range(ptr[v], hi[v]):
                total += ptr[adj[p] + 1] - ptr[adj[p]]
        else:
            for p in range(hi[v], ptr[v + 1]):
                total += ptr[adj[p] + 1] - hi[adj[p]]
        work[v] = total
    return work


@njit(cache=True, nogil=True)
def triangle_rows(r0, r1, ptr, adj, hi, t, local, own):
    """Adds each triangle ``v < u < w`` (ranks) with lowest node in r0..r1-1
    to ``t`` of its three edges, at the position in the lower-ranked end's row.

    Scratch: ``local`` int64[n] all -1, ``own`` int64[max out-degree] zeros
    (both left as found)."""
    for v in range(r0, r1):
        begin, end = hi[v], ptr[v + 1]
        for p in range(begin, end):
            local[adj[p]] = p
        for p in range(begin, end):
            u = adj[p]
            for q in range(hi[u], ptr[u + 1]):
                position_vw = local[adj[q]]
                if position_vw >= 0:                  # w in Out(v) & Out(u)
                    own[p - begin] += 1              # edge (v, u)
                    own[position_vw - begin] += 1    # edge (v, w)
                    atomic_add(t, q, 1)              # edge (u, w), in u's row
        for p in range(begin, end):
            local[adj[p]] = -1
            if own[p - begin]:
                atomic_add(t, p, own[p - begin])
                own[p - begin] = 0


@njit(cache=True, nogil=True)
def mirror_rows(r0, r1, ptr, hi, rev, t):
    """Copies ``t`` from each out-position of rows r0..r1-1 to the edge's
    position in the other end's row (each target is written once)."""
    for v in range(r0, r1):
        for p in range(hi[v], ptr[v + 1]):
            t[rev[p]] = t[p]


@njit(cache=True, nogil=True)
def clique_rows(r0, r1, ptr, adj, hi, t, tri, d2, k4, opposite, with_edges, edge_k4, edge_degrees,
                edge_sides, local, bits, pair_k4, pair_opposite, pair_degrees, pair_sides):
    """For each ``v`` in r0..r1-1: ``tri[v]``, ``d2[v]``, and the triangles
    and 4-cliques whose lowest node is ``v``:

    * ``k4[x]``: 4-cliques holding ``x``;
    * ``opposite[x]``: sum over the triangles at ``x`` of ``t`` of the edge
      opposite ``x``;
      (both this thread's share: every thread adds to its own arrays)
    * with_edges, per edge ``e`` (at its out-position or its other one):
      ``edge_k4`` the 4-cliques holding ``e``, ``edge_degrees`` the degrees of
      the third nodes of its triangles, ``edge_sides`` the ``t`` of the two
      other edges of its triangles.

    Scratch: ``local`` int64[n] all -1; ``bits`` uint64 with room for
    ``k * ceil(k / 64)`` words (k the max out-degree); ``pair_*`` int64[k]
    zeros. All left as found."""
    for v in range(r0, r1):
        begin, end = hi[v], ptr[v + 1]
        triangles = 0
        neighbour_degrees = 0
        for p in range(ptr[v], end):
            triangles += t[p]
            neighbour_degrees += ptr[adj[p] + 1] - ptr[adj[p]]
        tri[v] = triangles // 2
        d2[v] = neighbour_degrees
        k = end - begin
        if k < 2:
            continue
        words = (k + 63) >> 6
        for i in range(k):
            local[adj[begin + i]] = i
        for i in range(k * words):
            bits[i] = np.uint64(0)
        # G_v: bit j of row i set when Out(v)[i] and Out(v)[j] are adjacent
        for i in range(k):
            u = adj[begin + i]
            for q in range(hi[u], ptr[u + 1]):
                j = local[adj[q]]
                if j >= 0:
                    bits[i * words + (j >> 6)] |= np.uint64(1) << np.uint64(j & 63)
                    bits[j * words + (i >> 6)] |= np.uint64(1) << np.uint64(i & 63)
        degree_v = ptr[v + 1] - ptr[v]
        cliques_at_v = 0
        opposite_v = 0
        # each G_v edge (i, j), i < j, is the triangle (v, u, w)
        for i in range(k):
            u = adj[begin + i]
            t_vu = t[begin + i]
            degree_u = ptr[u + 1] - ptr[u]
            for q in range(hi[u], ptr[u + 1]):
                j = local[adj[q]]
                if j < 0:
                    continue
                w = adj[q]
                t_vw, t_uw = t[begin + j], t[q]
                # x in Out(v) adjacent to u and w: the 4-cliques {v, u, w, x}
                common = 0
                for word in range(words):
                    common += popcount(bits[i * words + word] & bits[j * words + word])
                cliques_at_v += common
                pair_k4[i] += common
                pair_k4[j] += common
                opposite_v += t_uw
                pair_opposite[i] += t_vw
                pair_opposite[j] += t_vu
                if with_edges:
                    atomic_add(edge_k4, q, common)
                    atomic_add(edge_degrees, q, degree_v)
                    atomic_add(edge_sides, q, t_vu + t_vw)
                    pair_degrees[i] += ptr[w + 1] - ptr[w]
                    pair_degrees[j] += degree_u
                    pair_sides[i] += t_vw + t_uw
                    pair_sides[j] += t_vu + t_uw
        # a 4-clique with lowest node v has 3 edges in G_v; one at x has 2 at x
        k4[v] += cliques_at_v // 3
        opposite[v] += opposite_v
        for i in range(k):
            x = adj[begin + i]
            local[x] = -1
            k4[x] += pair_k4[i] // 2
            opposite[x] += pair_opposite[i]
            if with_edges:
                atomic_add(edge_k4, begin + i, pair_k4[i] // 2)
                atomic_add(edge_degrees, begin + i, pair_degrees[i])
                atomic_add(edge_sides, begin + i, pair_sides[i])
                pair_degrees[i] = 0
                pair_sides[i] = 0
            pair_k4[i] = 0
            pair_opposite[i] = 0


@njit(cache=True, nogil=True)
def cycle_rows(r0, r1, ptr, adj, hi, rank, c4, with_edges, edge_c4, paths, touched):
    """4-cycles by their highest node ``v`` in r0..r1-1: ``c4[x]`` (this
    thread's share) the 4-cycles through ``x``; with_edges, ``edge_c4`` those through each edge
    (at either of its positions).

    Scratch: ``paths`` int64[n] zeros, ``touched`` int64[n] (left as found)."""
    for v in range(r0, r1):
        rank_v = rank[v]
        found = 0
        # wedges v - u - w with u, w ranked below v: paths[w] = |N(v) & N(w) & below v|
        for p in range(ptr[v], hi[v]):
            u = adj[p]
            for q in range(ptr[u], ptr[u + 1]):
                w = adj[q]
                if rank[w] >= rank_v:
                    break
                if paths[w] == 0:
                    touched[found] = w
                    found += 1
                paths[w] += 1
        cycles = 0
        for i in range(found):
            w = touched[i]
            pairs = paths[w] * (paths[w] - 1) // 2     # cycles v - u - w - u' - v
            if pairs:
                cycles += pairs
                c4[w] += pairs
        if cycles:
            c4[v] += cycles
            # a middle u lies on paths[w] - 1 of the cycles through v, u and w
            for p in range(ptr[v], hi[v]):
                u = adj[p]
                through_u = 0
                for q in range(ptr[u], ptr[u + 1]):
                    w = adj[q]
                    if rank[w] >= rank_v:
                        break
                    others = paths[w] - 1
                    through_u += others
                    if with_edges and others:
                        atomic_add(edge_c4, q, others)      # edge (u, w)
                if through_u:
                    c4[u] += through_u
                    if with_edges:
                        atomic_add(edge_c4, p, through_u)   # edge (v, u)
        for i in range(found):
            paths[touched[i]] = 0


@njit(cache=True, nogil=True)
def node_rows(r0, r1, ptr, adj, t, tri, d2, node_sums, out):
    """Non-induced counts ``N0..N14`` of nodes r0..r1-1 into ``out``, with
    ``node_sums[thread] = (k4, opposite, c4)`` the threads' shares;
    docs/counts.rst derives each."""
    for v in range(r0, r1):
        k4 = opposite = c4 = 0
        for share in range(node_sums.shape[0]):
            k4 += node_sums[share, 0, v]
            opposite += node_sums[share, 1, v]
            c4 += node_sums[share, 2, v]
        d = ptr[v + 1] - ptr[v]
        ends = 0             # sum (d(x) - 1)
        far_ends = 0         # sum (d2(x) - d(x))
        star_leaves = 0      # sum C(d(x) - 1, 2)
        side_triangles = 0   # sum tri(x)
        pendants = 0         # sum t(v, x) (d(x) - 2)
        diamonds = 0         # sum C(t(v, x), 2)
        for p in range(ptr[v], ptr[v + 1]):
            x = adj[p]
            dx = ptr[x + 1] - ptr[x]
            ends += dx - 1
            far_ends += d2[x] - dx
            star_leaves += (dx - 1) * (dx - 2) // 2
            side_triangles += tri[x]
            pendants += t[p] * (dx - 2)
            diamonds += t[p] * (t[p] - 1) // 2
        row = out[v]
        row[0] = d
        row[1] = ends
        row[2] = d * (d - 1) // 2
        row[3] = tri[v]
        row[4] = far_ends - d * (d - 1) - 2 * tri[v]
        row[5] = (d - 1) * ends - 2 * tri[v]
        row[6] = star_leaves
        row[7] = d * (d - 1) * (d - 2) // 6
        row[8] = c4
        row[9] = side_triangles - 2 * tri[v]
        row[10] = pendants
        row[11] = tri[v] * (d - 2)
        row[12] = opposite - tri[v]
        row[13] = diamonds
        row[14] = k4


@njit(cache=True, nogil=True)
def edge_rows(r0, r1, ptr, adj, hi, rev, t, tri, d2, edge_k4, edge_degrees, edge_sides, edge_c4, origin,
              edge_of_position, out):
    """Non-induced counts ``N0..N11`` of the edges whose lower-ranked end is in
    r0..r1-1, written to ``out[edge]`` (canonical edges in input CSR order);
    docs/counts.rst derives each."""
    for v in range(r0, r1):
        dv = ptr[v + 1] - ptr[v]
        for p in range(hi[v], ptr[v + 1]):
            u = adj[p]
            back = rev[p]
            du = ptr[u + 1] - ptr[u]
            te = t[p]
            row_index = edge_of_position[origin[p]]
            if row_index < 0:
                row_index = edge_of_position[origin[back]]
            row = out[row_index]
            row[0] = du + dv - 2
            row[1] = te
            row[2] = d2[u] + d2[v] - 2 * du - 2 * dv + 2 - 2 * te
            row[3] = (du - 1) * (dv - 1) - te
            row[4] = (du - 1) * (du - 2) // 2 + (dv - 1) * (dv - 2) // 2
            row[5] = edge_c4[p] + edge_c4[back]
            row[6] = tri[u] + tri[v] - 2 * te
            row[7] = edge_degrees[p] + edge_degrees[back] - 2 * te
            row[8] = te * (du + dv - 4)
            row[9] = edge_sides[p] + edge_sides[back] - 2 * te
            row[10] = te * (te - 1) // 2
            row[11] = edge_k4[p] + edge_k4[back]


class GraphletCounter4:
    """The stages above for one graph, with the same interface as the C++
    ``GraphletCounter4``: ``stages``, ``stage_work(stage)`` (estimated work
    per row, for balanced chunks), ``run(stage, r0, r1)`` (rows of one
    stage; chunks of a stage may run on several threads at once) and
    ``counts()`` (the non-induced counts once every stage has run)."""

    stages = ("triangles", "mirror", "cliques", "cycles", "assemble")

    def __init__(self, indptr: np.ndarray, indices: np.ndarray, with_edges: bool, threads: int = 1, pool=None):
        import itertools
        import threading

        indptr = np.ascontiguousarray(indptr, dtype=np.int64)
        indices = np.ascontiguousarray(indices, dtype=np.int64)
        n, positions = indptr.shape[0] - 1, indices.shape[0]
        self.ptr, self.with_edges = indptr, with_edges
        self.rank = rank_nodes(indptr)
        self.adj = np.empty(positions, dtype=np.int64)
        self.hi = np.empty(n, dtype=np.int64)
        self.origin = np.empty(positions if with_edges else 0, dtype=np.int64)
        step = max(1, n // (64 if pool is not None else 1))
        ranges = [(v0, min(n, v0 + step)) for v0 in range(0, n, step)]
        run = pool.map if pool is not None else map
        list(run(lambda rows: sort_rows(rows[0], rows[1], indptr, indices, self.rank, self.adj, self.hi,
                                        self.origin, with_edges), ranges))
        self.rev = np.empty(positions, dtype=np.int64)
        list(run(lambda rows: reverse_rows(rows[0], rows[1], indptr, self.adj, self.hi, self.rank, self.rev),
                 ranges))
        self.max_out = int((self.ptr[1:] - self.hi).max()) if n else 0
        self.t = np.zeros(positions, dtype=np.int64)
        self.tri, self.d2 = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
        # (k4, opposite, c4) per thread: hot nodes are not shared between threads
        self.node_sums = np.zeros((threads if pool is not None else 1, 3, n), dtype=np.int64)
        self._slots = itertools.count()
        edge_size = positions if with_edges else 0
        self.edge_k4, self.edge_degrees, self.edge_sides, self.edge_c4 = (
            np.zeros(edge_size, dtype=np.int64) for _ in range(4))
        self.out = np.zeros((positions // 2, 12) if with_edges else (n, 15), dtype=np.int64)
        if with_edges:
            # input CSR position -> row of its edge among the canonical (u < v)
            # edges in CSR order, -1 for the reverse direction
            rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
            canonical = indices > rows
            self.edge_of_position = np.where(canonical, np.cumsum(canonical) - 1, -1)
        self._local = threading.local()

    def stage_work(self, stage: str) -> np.ndarray:
        if stage in ("triangles", "cliques", "cycles"):
            return stage_work(self.ptr, self.adj, self.hi, stage == "cycles")
        return np.diff(self.ptr)

    def _scratch(self):
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            n, k = self.ptr.shape[0] - 1, self.max_out
            words = (k + 63) // 64
            scratch = {
                "nodes": self.node_sums[next(self._slots)],
                "local": np.full(n, -1, dtype=np.int64),
                "own": np.zeros(k, dtype=np.int64),
                "bits": np.zeros(k * words, dtype=np.uint64),
                "pairs": [np.zeros(k, dtype=np.int64) for _ in range(4)],
                "paths": np.zeros(n, dtype=np.int64),
                "touched": np.empty(n, dtype=np.int64),
            }
            self._local.scratch = scratch
        return scratch

    def run(self, stage: str, r0: int, r1: int) -> None:
        s = self._scratch()
        if stage == "triangles":
            triangle_rows(r0, r1, self.ptr, self.adj, self.hi, self.t, s["local"], s["own"])
        elif stage == "mirror":
            mirror_rows(r0, r1, self.ptr, self.hi, self.rev, self.t)
        elif stage == "cliques":
            clique_rows(r0, r1, self.ptr, self.adj, self.hi, self.t, self.tri, self.d2, s["nodes"][0], s["nodes"][1],
                        self.with_edges, self.edge_k4, self.edge_degrees, self.edge_sides, s["local"], s["bits"],
                        *s["pairs"])
        elif stage == "cycles":
            cycle_rows(r0, r1, self.ptr, self.adj, self.hi, self.rank, s["nodes"][2], self.with_edges, self.edge_c4, s["paths"],
                       s["touched"])
        elif stage == "assemble" and self.with_edges:
            edge_rows(r0, r1, self.ptr, self.adj, self.hi, self.rev, self.t, self.tri, self.d2, self.edge_k4,
                      self.edge_degrees, self.edge_sides, self.edge_c4, self.origin, self.edge_of_position,
                      self.out)
        elif stage == "assemble":
            node_rows(r0, r1, self.ptr, self.adj, self.t, self.tri, self.d2, self.node_sums, self.out)
        else:
            raise ValueError(f"unknown stage {stage!r}")

    def counts(self) -> np.ndarray:
        return self.out
