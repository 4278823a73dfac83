"""Orbit tables and the linear systems that turn non-induced counts into
induced orbit counts, for graphlets on 2-4 nodes.

A *non-induced* count ``N[o]`` of a node (or edge) is the number of
connected subgraphs (a node set plus a subset of the edges among it, not
necessarily all of them) isomorphic to the graphlet of orbit ``o`` that hold
the node (edge) on orbit ``o``. An *induced* count ``I[o]`` only counts node
sets whose induced subgraph is that graphlet. A non-induced copy spans some
node set; the induced graphlet on that node set has the same number of
nodes and at least as many edges, so

.. math::

    N_o = I_o + \\sum_{o'} c_{o o'} I_{o'},

where :math:`c_{o o'}` is the number of spanning subgraphs of the graphlet of
orbit :math:`o'`, taken with the node (edge) on :math:`o'`, that are copies of
the graphlet of :math:`o` holding it on :math:`o`; :math:`c_{o o'}` is nonzero
only when the graphlet of :math:`o'` has more edges. Solving from the densest
graphlet down is exact integer back-substitution
(:func:`induced_from_noninduced`). ``docs/counts.rst`` derives every
coefficient; the tests recount them by enumerating the spanning subgraphs
of each graphlet.

>>> NODE_SYSTEM[7]
{11: 1, 13: 1, 14: 1}
>>> EDGE_ORBIT_ENDPOINTS[5]
(8, 8)
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "NUM_EDGE_ORBITS", "EDGE_ORBIT_ENDPOINTS", "EDGE_ORBIT_NAMES", "GRAPHLET_OF_EDGE_ORBIT",
    "NODE_SYSTEM", "EDGE_SYSTEM", "GRAPHLET_EDGES", "induced_from_noninduced",
]

# Number of edges of G0..G8.
GRAPHLET_EDGES = (1, 2, 3, 3, 3, 4, 4, 5, 6)

#: ``EDGE_ORBIT_ENDPOINTS[e]``: the node orbits of the two ends of edge orbit
#: ``e``. Edge orbits of the graphlets on 3-4 nodes, numbered as ORCA's
#: ``orca edge 4`` output (the single-edge graphlet G0 has no column: every
#: edge is one); on 2-4 nodes an edge's orbit is fixed by its ends' orbits.
EDGE_ORBIT_ENDPOINTS = (
    (1, 2),    # 0  G1 path: either edge
    (3, 3),    # 1  G2 triangle
    (4, 5),    # 2  G3 4-path: an end edge
    (5, 5),    # 3  G3 4-path: the middle edge
    (6, 7),    # 4  G4 3-star
    (8, 8),    # 5  G5 4-cycle
    (9, 11),   # 6  G6 paw: the pendant edge
    (10, 10),  # 7  G6 paw: the triangle edge away from the degree-3 node
    (10, 11),  # 8  G6 paw: a triangle edge at the degree-3 node
    (12, 13),  # 9  G7 diamond: an outer edge
    (13, 13),  # 10 G7 diamond: the diagonal
    (14, 14),  # 11 G8 4-clique
)
NUM_EDGE_ORBITS = len(EDGE_ORBIT_ENDPOINTS)
GRAPHLET_OF_EDGE_ORBIT = (1, 2, 3, 3, 4, 5, 6, 6, 6, 7, 7, 8)
EDGE_ORBIT_NAMES = (
    "path edge", "triangle edge", "4-path end edge", "4-path middle edge", "star edge", "4-cycle edge",
    "paw pendant edge", "paw far triangle edge", "paw near triangle edge", "diamond outer edge",
    "diamond diagonal", "4-clique edge",
)

#: ``NODE_SYSTEM[o] = {o': c}``: ``N_o = I_o + sum(c * I_o')`` for node orbits
#: (orbits 0, 3 and 14 have no term: their non-induced count is induced).
NODE_SYSTEM: dict[int, dict[int, int]] = {
    1: {3: 2},
    2: {3: 1},
    4: {8: 2, 9: 2, 10: 1, 12: 4, 13: 2, 14: 6},
    5: {8: 2, 10: 1, 11: 2, 12: 2, 13: 4, 14: 6},
    6: {9: 1, 10: 1, 12: 2, 13: 1, 14: 3},
    7: {11: 1, 13: 1, 14: 1},
    8: {12: 1, 13: 1, 14: 3},
    9: {12: 2, 14: 3},
    10: {12: 2, 13: 2, 14: 6},
    11: {13: 2, 14: 3},
    12: {14: 3},
    13: {14: 3},
}

#: ``EDGE_SYSTEM[e] = {e': c}``: ``N_e = I_e + sum(c * I_e')`` for edge orbits.
EDGE_SYSTEM: dict[int, dict[int, int]] = {
    0: {1: 2},
    2: {5: 2, 6: 2, 7: 2, 9: 3, 11: 4},
    3: {5: 1, 8: 1, 9: 1, 10: 2, 11: 2},
    4: {6: 1, 8: 1, 9: 1, 10: 2, 11: 2},
    5: {9: 1, 11: 2},
    6: {9: 1, 11: 2},
    7: {9: 1, 11: 2},
    8: {9: 1, 10: 4, 11: 4},
    9: {11: 4},
    10: {11: 1},
}


def induced_from_noninduced(counts: np.ndarray, system: dict[int, dict[int, int]],
                            block: int = 16384) -> np.ndarray:
    """Solves ``N = I + C I`` for ``I`` in place: every orbit only depends on
    orbits of denser graphlets, which are solved first. Rows go in blocks
    that stay in cache while all columns are updated.

    Example:
        >>> n = np.array([[3, 2, 3, 1]])        # N0..N3 of the degree-3 node of a paw
        >>> induced_from_noninduced(n, {1: {3: 2}, 2: {3: 1}}).tolist()
        [[3, 0, 2, 1]]
    """
    steps = []
    remaining = dict(system)
    while remaining:
        ready = [o for o, row in remaining.items() if all(p not in remaining for p in row)]
        if not ready:
            raise ValueError("orbit system is not triangular")
        steps += [(o, list(remaining.pop(o).items())) for o in ready]
    for start in range(0, counts.shape[0], block):
        rows = counts[start:start + block]
        for orbit, terms in steps:
            for other, coefficient in terms:
                rows[:, orbit] -= coefficient * rows[:, other]
    return counts
