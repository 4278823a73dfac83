"""What each orbit adjacency key costs: the aggregates its formula reads,
the kernel work that follows from a key selection, and per-row upper bounds
on the number of entries.

Every count is a formula in per-pair aggregates (see :doc:`/orbits`):
``k`` (common neighbours, from the wedges ``u-c-v``), ``Sd``, ``Su``, ``Sv``
(sums over the common neighbours of their degree and of the triangle counts
of the edges ``(u, c)``, ``(c, v)``), ``EC`` (edges inside the common
neighbourhood), ``A3`` (3-walks), and per-node ``tri`` (triangles at a node)
and ``d2`` (sum of the neighbours' degrees). :data:`KEY_NEEDS` is that
dependency table; a key selection pays only for the union of its needs:

* the wedge pass runs when some key reads ``k``, ``Sd``, ``Su`` or ``Sv``;
  it visits the distance-2 columns only when a hop-2/3 key is wanted or
  ``A3`` is needed, else it accumulates at the row's neighbours only;
* the edge triangle counts ``t`` (one pass over the edges, the smaller
  degree of each) only for ``Su``, ``Sv`` or ``tri``;
* ``EC`` (the edges among a row's neighbours, each extended to the common
  neighbours of its ends) only for keys that read it;
* ``A3`` as the full row product ``A^2[u, :] A`` only for ``(3, 4, 4)``; the
  hop-1 keys that read it need it on the row's edges only, a gather of
  ``k`` over each neighbour's list.

``(1, 0, 0)`` reads nothing: it is the adjacency matrix.
"""
from __future__ import annotations

import numpy as np

from graphrep.graph import CSRGraph
from graphrep.orbits.keys import ORBIT_ADJACENCY_KEYS

__all__ = ["AGGREGATES", "KEY_NEEDS", "key_needs", "kernel_flags", "RowBounds", "row_sums"]

K, SD, SU, SV, EC, A3, TRI, D2 = (1 << bit for bit in range(8))
AGGREGATES = {"k": K, "Sd": SD, "Su": SU, "Sv": SV, "EC": EC, "A3": A3, "tri": TRI, "d2": D2}

#: key index -> bit mask of the aggregates its formula reads (same table as
#: ``kKeyNeeds`` in csrc/orbits.cpp).
KEY_NEEDS: tuple[int, ...] = (
    0,                                          # (1,0,0)  the edge itself
    K, K, K, K,                                 # (1,1,2) (1,2,1) (2,1,1) (1,3,3)
    K | SD | SU | SV | EC | A3 | TRI | D2,      # (1,4,5)
    K | SD | SU | SV | EC | A3 | TRI | D2,      # (1,5,4)
    K | SV | EC, K | SU | EC,                   # (2,4,5) (2,5,4)
    K | SU | SV | EC | A3,                      # (1,5,5)
    SU | SV | EC | A3,                          # (3,4,4)
    K | SV | EC | TRI, K | SU | EC | TRI,       # (1,6,7) (1,7,6)
    K | SD | SU | SV | EC,                      # (2,6,6)
    K | SU | SV | EC | A3,                      # (1,8,8)
    K | EC,                                     # (2,8,8)
    SV | EC | TRI, SU | EC | TRI,               # (1,9,11) (1,11,9)
    SD | SU | SV | EC,                          # (1,10,10)
    K | SV | EC, K | SU | EC,                   # (1,10,11) (1,11,10)
    SV | EC, SU | EC,                           # (2,9,10) (2,10,9)
    K | SV | EC, K | SU | EC,                   # (1,12,13) (1,13,12)
    K | EC,                                     # (1,13,13)
    EC, EC,                                     # (2,12,12) (1,14,14)
)

HOP1 = np.array([i for i, key in enumerate(ORBIT_ADJACENCY_KEYS) if key.hop == 1])
FAR = np.array([i for i, key in enumerate(ORBIT_ADJACENCY_KEYS) if key.hop > 1])
HOP3_KEY = 10
# Hop-2 keys whose value is 0 unless the pair has >= 2 common neighbours.
TWO_COMMON = (15, 26)

# Kernel switches (graphrep/orbits/_numba.py reads them; the C++ core derives
# the same from the wanted keys).
F_FAR, F_WEDGE_ALL, F_WEDGE_NEAR, F_T, F_EC, F_A3_FAR, F_A3_NEAR, F_TRI, F_D2 = (1 << bit for bit in range(9))


def key_needs(selected) -> int:
    """Union of :data:`KEY_NEEDS` over key indices ``selected``.

    Example:
        >>> key_needs([0]) == 0, key_needs([3]) == AGGREGATES["k"]
        (True, True)
    """
    needs = 0
    for index in selected:
        needs |= KEY_NEEDS[int(index)]
    return needs


def kernel_flags(wanted: np.ndarray, need_a3: bool = True) -> int:
    """The kernel switches for a boolean mask ``wanted`` over the 28 keys."""
    selected = np.flatnonzero(wanted)
    needs = key_needs(selected) & ~(0 if need_a3 else A3)
    far = bool(wanted[FAR].any())
    hop1 = bool(wanted[HOP1].any())
    a3_far = bool(needs & A3) and bool(wanted[HOP3_KEY])
    a3_near = bool(needs & A3) and hop1 and not a3_far
    wedge_all = far or bool(needs & A3)
    wedge_near = not wedge_all and bool(needs & (K | SD | SU | SV))
    flags = 0
    for condition, bit in [(far, F_FAR), (wedge_all, F_WEDGE_ALL), (wedge_near, F_WEDGE_NEAR),
                           (bool(needs & (SU | SV | TRI)), F_T), (bool(needs & EC), F_EC), (a3_far, F_A3_FAR),
                           (a3_near, F_A3_NEAR), (bool(needs & TRI), F_TRI), (bool(needs & D2), F_D2)]:
        if condition:
            flags |= bit
    return flags


class RowBounds:
    """Per-row upper bounds on the entries of each kind of key.

    For row ``u`` with degree ``d``, ``W = sum_{c in N(u)} (d(c) - 1)`` wedges
    ``u-c-v`` (``v != u``) and ``W3`` 3-walks ``u-a-b-v`` with ``b != u`` and
    ``v != a``:

    * a hop-1 entry lies on an edge: at most ``d``;
    * a hop-2 entry ``(u, v)`` needs a common neighbour, a wedge ending at
      ``v``, and ``v`` not adjacent: at most ``min(W, n - 1 - d)``; the keys
      ``(2,8,8)`` and ``(2,12,12)`` need two common neighbours, two wedges
      ending at ``v``: at most ``min(W // 2, n - 1 - d)``;
    * a ``(3,4,4)`` entry ``(u, v)`` is an induced path ``u-a-b-v``, a 3-walk
      counted in ``W3``: at most ``min(W3, n - 1 - d)``.

    Summed over the rows they bound each matrix's nonzeros, whatever the
    graph; they need the degrees and ``d2`` only (``O(m)``).
    """

    def __init__(self, g: CSRGraph):
        n = g.num_nodes
        deg = g.degrees.astype(np.int64)
        d2 = row_sums(g.indptr, deg[g.indices])
        wedges = d2 - deg
        walks3 = row_sums(g.indptr, (d2 - deg + 1)[g.indices]) - deg * deg
        room = n - 1 - deg
        self.hop1 = deg
        self.hop2 = np.minimum(wedges, room)
        self.two_common = np.minimum(wedges // 2, room)
        self.hop3 = np.minimum(np.maximum(walks3, 0), room)

    def of_key(self, index: int) -> np.ndarray:
        """``int64[n]``: the bound of each row of key ``index``."""
        if ORBIT_ADJACENCY_KEYS[index].hop == 1:
            return self.hop1
        if index == HOP3_KEY:
            return self.hop3
        return self.two_common if index in TWO_COMMON else self.hop2

    def entries(self, selected) -> np.ndarray:
        """``int64[n]``: the bound on each row's entries over keys ``selected``."""
        total = np.zeros_like(self.hop1)
        for index in selected:
            total += self.of_key(int(index))
        return total


def row_sums(indptr: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Exact ``int64`` sums of ``values`` over each CSR row.

    Example:
        >>> row_sums(np.array([0, 2, 2, 3]), np.array([1, 2, 5])).tolist()
        [3, 0, 5]
    """
    prefix = np.zeros(values.shape[0] + 1, dtype=np.int64)
    np.cumsum(values, out=prefix[1:])
    return prefix[indptr[1:]] - prefix[indptr[:-1]]
