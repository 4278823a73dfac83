"""The linear system behind the five-node counts: rooted homomorphism counts
(what the kernels compute) in terms of induced orbit counts (what users get).

For a pattern ``P`` (one of the graphlets) with a root edge ``(a, b)`` and an
ordered edge ``(x, y)`` of the graph, the kernels compute the homomorphism
count

.. math::

    h_{P,ab}(x, y) = \\#\\{\\varphi : V(P) \\to V(G) \\text{ edge-preserving},\\
    \\varphi(a) = x, \\varphi(b) = y\\},

with no distinctness required (node images may coincide), so every count is
a plain sum of products of neighbourhood statistics. The image of such a map
is a connected node set ``S`` holding ``x`` and ``y``, and the map is a
node-surjective homomorphism onto the induced subgraph ``G[S]``; grouping the
maps by ``S`` gives

.. math::

    h_{P,ab}(x, y) = \\sum_{k} \\mathrm{surj}(P, ab \\to G_k, r_k s_k)\\; I_k(x, y),

where ``k`` runs over the *directed* edge orbits of the graphlets on 2-5
nodes (an ordered edge ``(r_k, s_k)`` of graphlet ``G_k`` up to automorphism),
``I_k(x, y)`` counts the induced graphlets holding ``(x, y)`` on ``k``, and the
coefficient counts the node-surjective homomorphisms ``P -> G_k`` sending
``(a, b)`` to ``(r_k, s_k)``. On five nodes a surjective map is a bijection,
so the coefficient is nonzero only when ``G_k`` contains ``P`` as a spanning
subgraph: with the unknowns ordered by node count, then by decreasing edge
count, and one pattern per directed orbit (its own graphlet), the system is
triangular with the automorphism counts on the diagonal and is solved by
exact integer back-substitution. Node orbits work the same way with a single
root. :func:`derive` computes every coefficient from :data:`GRAPHLETS`;
``docs/counts5.rst`` lists the patterns and how each count is computed.
"""
from __future__ import annotations

from functools import lru_cache
from itertools import permutations
from typing import NamedTuple

import numpy as np

from graphrep.orbits.graphlets import GRAPHLETS, NUM_EDGE_ORBITS_BY_SIZE, NUM_NODE_ORBITS_BY_SIZE

__all__ = ["Quantity", "QUANTITIES", "NUM_QUANTITIES", "derive", "solve_nodes", "solve_edges"]


class Quantity(NamedTuple):
    """Column of the kernels' output: ``h_{P,ab}(x, y)`` for graphlet ``P``
    with root edge ``(a, b)`` (its own node labels), and how it is computed."""

    graphlet: int
    a: int
    b: int
    formula: str


# The kernels' columns, in order, each with its formula in the notation of
# docs/counts5.rst (C = N(x) & N(y), t = t(x, y), c the root's 2-walk row).
QUANTITIES: tuple[Quantity, ...] = tuple(Quantity(*q) for q in [
    (1, 0, 1, r"d(x)"),
    (1, 1, 0, r"d(y)"),
    (2, 0, 1, r"t"),
    (3, 3, 0, r"s_1(y)"),
    (3, 0, 1, r"d(x)\,d(y)"),
    (4, 0, 3, r"d(y)^2"),
    (4, 3, 0, r"d(x)^2"),
    (5, 0, 1, r"A_3"),
    (6, 0, 3, r"2\,\mathrm{tri}(y)"),
    (6, 1, 2, r"T_d"),
    (6, 3, 0, r"2\,\mathrm{tri}(x)"),
    (6, 3, 1, r"t\,d(x)"),
    (7, 1, 0, r"\sum_{w \in C} t(y,w)"),
    (7, 0, 2, r"t^2"),
    (8, 0, 1, r"2 k_4"),
    (9, 4, 0, r"w_3(y)"),
    (9, 0, 4, r"w_3(x)"),
    (9, 1, 0, r"d(y)\,s_1(x)"),
    (10, 0, 4, r"s_2(y)"),
    (10, 1, 3, r"d(y)\,s_1(y)"),
    (10, 4, 0, r"s_2(x)"),
    (10, 3, 4, r"d(x)^2 d(y)"),
    (11, 0, 4, r"d(y)^3"),
    (11, 4, 0, r"d(x)^3"),
    (12, 4, 0, r"p_1(y)"),
    (12, 1, 0, r"d(y)\,T_d"),
    (12, 0, 2, r"d(x)\,d(y)\,t"),
    (13, 0, 4, r"2 q_1(y)"),
    (13, 4, 0, r"2 q_1(x)"),
    (13, 1, 2, r"\sum_{w \in C} s_1(w)"),
    (13, 3, 4, r"2\,\mathrm{tri}(x)\,d(y)"),
    (13, 3, 1, r"t\,s_1(x)"),
    (14, 0, 4, r"2\,\mathrm{tri}(y)\,d(y)"),
    (14, 2, 3, r"\sum_{w \in C} d(w)^2"),
    (14, 4, 0, r"2\,\mathrm{tri}(x)\,d(x)"),
    (14, 4, 2, r"t\,d(x)^2"),
    (15, 0, 1, r"\sum_{p \in N(y)} W_3(p)"),
    (16, 0, 1, r"h_4(y)"),
    (16, 2, 3, r"\sum_{p \in N(y)} d(p)\,c(p)"),
    (16, 3, 1, r"d(y)\,A_3"),
    (16, 1, 0, r"h_4(x)"),
    (17, 0, 1, r"D_g(y)"),
    (17, 3, 1, r"d(y) \sum_{w \in C} t(y,w)"),
    (17, 2, 1, r"d(y)\,t^2"),
    (17, 1, 0, r"D_g(x)"),
    (17, 2, 3, r"\sum_{w \in C} d(w)\,t(x,w)"),
    (18, 0, 1, r"2 \sum_{w \in C} \mathrm{tri}(w)"),
    (18, 4, 0, r"2\,t\,\mathrm{tri}(x)"),
    (19, 0, 1, r"D_t(y)"),
    (19, 2, 3, r"\sum_{w \in C} T_d(y,w)"),
    (19, 1, 0, r"D_t(x)"),
    (19, 3, 4, r"t\,T_d"),
    (19, 1, 3, r"d(x) \sum_{w \in C} t(y,w)"),
    (20, 0, 2, r"\sum_{p \in N(y)} c(p)^2"),
    (21, 1, 2, r"\sum_{p \in N(y)} c_t(p)"),
    (21, 4, 0, r"\sum_{w \in C} A_3(y,w)"),
    (21, 0, 3, r"t\,A_3"),
    (21, 1, 0, r"\sum_{p \in N(y)} t(y,p)\,c(p)"),
    (22, 0, 3, r"\sum_{w \in C} t(y,w)^2"),
    (22, 3, 4, r"t^3"),
    (23, 0, 4, r"6 K_4(y)"),
    (23, 1, 2, r"\sum_{w \in C} d(w)\,\kappa(w)"),
    (23, 4, 0, r"6 K_4(x)"),
    (23, 1, 4, r"d(y) \sum_{w \in C} \kappa(w)"),
    (24, 0, 1, r"\sum_{w \in C} T_t(y,w)"),
    (24, 3, 4, r"\sum_{w \in C} t(x,w)\,t(y,w)"),
    (24, 1, 0, r"\sum_{w \in C} T_t(x,w)"),
    (24, 4, 0, r"\sum_{w \in C} T_t(w,x)"),
    (24, 1, 3, r"t \sum_{w \in C} t(x,w)"),
    (25, 0, 3, r"\sum_{p \in N(y)} e(p)"),
    (25, 2, 4, r"\sum_{u} \kappa(u)^2"),
    (25, 0, 2, r"\sum_{w \in C} \sum_{u \in N(w) \cap N(y)} c(u)"),
    (26, 2, 3, r"2 \sum_{w \in C} k_4(y,w)"),
    (26, 0, 1, r"\sum_{w \in C} \sum_{u \in N(w) \cap C} t(w,u)"),
    (26, 3, 4, r"t \sum_{w \in C} \kappa(w)"),
    (26, 0, 3, r"\sum_{w \in C} t(y,w)\,\kappa(w)"),
    (27, 0, 4, r"\sum_{u \in N(y)} \kappa(u)^2"),
    (27, 4, 0, r"\sum_{u \in N(x)} \kappa(u)^2"),
    (27, 0, 1, r"\sum_{h \in C} \sum_{b \in N(y) \cap N(h)} \kappa_{xh}(b)"),
    (28, 1, 0, r"\sum_{a \in C} \sum_{w \in C \cap N(a)} \kappa_{xa}(w)"),
    (28, 1, 3, r"\sum_{w \in C} \kappa(w)^2"),
    (29, 0, 1, r"6 k_5"),
])
NUM_QUANTITIES = len(QUANTITIES)
_COLUMN = {(q.graphlet, q.a, q.b): i for i, q in enumerate(QUANTITIES)}
# Node orbits whose rooted count is only available from the other end of an
# edge (the kernels add h(x, y) to node y): orbit -> kernel column.
REMOTE_NODE_ORBITS = {49: _COLUMN[20, 0, 2], 62: _COLUMN[25, 0, 3], 70: _COLUMN[28, 1, 0]}


class DirectedOrbit(NamedTuple):
    """An ordered edge ``(r, s)`` of graphlet ``graphlet`` up to automorphism;
    ``edge_orbit`` is its undirected (ORCA) edge orbit, -1 on G0."""

    graphlet: int
    r: int
    s: int
    edge_orbit: int


def _adjacency(graphlet) -> list[set[int]]:
    adj = [set() for _ in range(graphlet.num_nodes)]
    for a, b in graphlet.edges:
        adj[a].add(b)
        adj[b].add(a)
    return adj


def _automorphisms(graphlet) -> list[tuple[int, ...]]:
    edges = {frozenset(e) for e in graphlet.edges}
    return [p for p in permutations(range(graphlet.num_nodes))
            if all(frozenset((p[a], p[b])) in edges for a, b in graphlet.edges)]


@lru_cache(maxsize=None)
def directed_orbits() -> tuple[DirectedOrbit, ...]:
    """All 114 directed edge orbits of G0..G29."""
    found = []
    for g in GRAPHLETS:
        autos = _automorphisms(g)
        seen = set()
        edge_orbit = dict(zip(g.edges, g.edge_orbits))
        for a, b in g.edges:
            for r, s in ((a, b), (b, a)):
                if (r, s) not in seen:
                    seen |= {(p[r], p[s]) for p in autos}
                    found.append(DirectedOrbit(g.index, r, s, edge_orbit[min(r, s), max(r, s)]))
    return tuple(found)


@lru_cache(maxsize=None)
def _surjection_table(pattern_index: int, target_index: int) -> np.ndarray:
    """``table[a, b, r, s]``: node-surjective homomorphisms from graphlet
    ``pattern_index`` onto graphlet ``target_index`` sending ``a -> r`` and
    ``b -> s`` (all maps tried at once: at most 5^5)."""
    pattern, target = GRAPHLETS[pattern_index], GRAPHLETS[target_index]
    p, k = pattern.num_nodes, target.num_nodes
    adjacent = np.zeros((k, k), dtype=bool)
    for r, s in target.edges:
        adjacent[r, s] = adjacent[s, r] = True
    maps = np.stack(np.unravel_index(np.arange(k ** p), (k,) * p), axis=1)
    keep = np.ones(maps.shape[0], dtype=bool)
    for a, b in pattern.edges:
        keep &= adjacent[maps[:, a], maps[:, b]]
    keep &= np.bitwise_or.reduce(1 << maps, axis=1) == (1 << k) - 1     # onto every node
    maps = maps[keep]
    table = np.zeros((p, p, k, k), dtype=np.int64)
    for a in range(p):
        for b in range(p):
            np.add.at(table[a, b], (maps[:, a], maps[:, b]), 1)
    return table


def _surjections(pattern, fixed: dict[int, int], target) -> int:
    """Node-surjective homomorphisms ``pattern -> target`` extending ``fixed``
    (one or two fixed nodes)."""
    if target.num_nodes > pattern.num_nodes:
        return 0
    table = _surjection_table(pattern.index, target.index)
    (a, r), (b, s) = (list(fixed.items()) * 2)[:2]
    return int(table[a, b, r, s])


def _solve_order(graphlets: list[int]) -> list[int]:
    """Unknowns in back-substitution order: fewer nodes first, then denser."""
    return sorted(range(len(graphlets)), key=lambda i: (GRAPHLETS[graphlets[i]].num_nodes,
                                                        -len(GRAPHLETS[graphlets[i]].edges)))


class System(NamedTuple):
    """``h = M I`` for one kind of unknown (node orbits or directed edge
    orbits): ``sources[i]`` says how to read the rooted count of unknown
    ``i`` off the kernels' columns, ``matrix[i, j]`` is the coefficient of
    unknown ``j`` in it, ``order`` the back-substitution order."""

    sources: tuple
    matrix: np.ndarray
    order: tuple[int, ...]


@lru_cache(maxsize=None)
def derive() -> tuple[System, System]:
    """The node system (73 node orbits) and the edge system (114 directed
    edge orbits), every coefficient counted from the graphlet tables.

    Node unknown ``o`` is read as ``("forward", column)`` (the sum of the
    column over the node's edges ``(x, y)``), ``("remote", column)`` (the sum
    over edges ``(y, x)``) or ``("degree",)`` for orbit 0; directed edge
    unknown ``k`` as ``(column, reversed)`` (the column at ``(x, y)`` or at
    ``(y, x)``), or ``None`` for G0, whose count is 1.
    """
    orbits = directed_orbits()
    # edge system: the pattern of directed orbit k is its own graphlet rooted at (r, s)
    edge_sources = []
    for k in orbits:
        if k.graphlet == 0:
            edge_sources.append(None)
            continue
        autos = _automorphisms(GRAPHLETS[k.graphlet])
        for p in autos:
            r, s = p[k.r], p[k.s]
            if (k.graphlet, r, s) in _COLUMN:
                edge_sources.append((_COLUMN[k.graphlet, r, s], False))
                break
            if (k.graphlet, s, r) in _COLUMN:
                edge_sources.append((_COLUMN[k.graphlet, s, r], True))
                break
        else:
            raise AssertionError(f"no kernel column for directed orbit {k}")
    edge_matrix = np.zeros((len(orbits), len(orbits)), dtype=np.int64)
    for i, k in enumerate(orbits):
        pattern = GRAPHLETS[k.graphlet]
        for j, target in enumerate(orbits):
            if GRAPHLETS[target.graphlet].num_nodes <= pattern.num_nodes:
                edge_matrix[i, j] = _surjections(pattern, {k.r: target.r, k.s: target.s},
                                                 GRAPHLETS[target.graphlet])
    edge_order = _solve_order([k.graphlet for k in orbits])

    # node system: orbit o is rooted at a node of orbit o of its graphlet
    node_sources, node_patterns = [], []
    for o in range(NUM_NODE_ORBITS_BY_SIZE[5]):
        g = next(g for g in GRAPHLETS if o in g.node_orbits)
        if o == 0:
            node_sources.append(("degree",))
            node_patterns.append((g, 0))
            continue
        if o in REMOTE_NODE_ORBITS:
            column = REMOTE_NODE_ORBITS[o]
            node_sources.append(("remote", column))
            node_patterns.append((g, QUANTITIES[column].b))
            continue
        column = next(i for i, q in enumerate(QUANTITIES) if q.graphlet == g.index and g.node_orbits[q.a] == o)
        node_sources.append(("forward", column))
        node_patterns.append((g, QUANTITIES[column].a))
    node_matrix = np.zeros((NUM_NODE_ORBITS_BY_SIZE[5],) * 2, dtype=np.int64)
    for o, (pattern, root) in enumerate(node_patterns):
        for o2 in range(NUM_NODE_ORBITS_BY_SIZE[5]):
            target = next(g for g in GRAPHLETS if o2 in g.node_orbits)
            if target.num_nodes <= pattern.num_nodes:
                node_matrix[o, o2] = _surjections(pattern, {root: target.node_orbits.index(o2)}, target)
    node_order = _solve_order([next(g.index for g in GRAPHLETS if o in g.node_orbits)
                               for o in range(NUM_NODE_ORBITS_BY_SIZE[5])])
    return (System(tuple(node_sources), node_matrix, tuple(node_order)),
            System(tuple(edge_sources), edge_matrix, tuple(edge_order)))


def _back_substitute(h: np.ndarray, system: System) -> np.ndarray:
    """Solves ``h = M I`` row-wise in place of ``h`` (``int64[rows, unknowns]``);
    each division is exact."""
    matrix = system.matrix
    for i in system.order:
        for j in np.flatnonzero(matrix[i]):
            if j != i:
                h[:, i] -= matrix[i, j] * h[:, j]
        h[:, i] //= matrix[i, i]
    return h


def solve_nodes(forward: np.ndarray, remote: np.ndarray, degrees: np.ndarray) -> np.ndarray:
    """``int64[n, 73]`` induced node orbit counts from the kernels' per-node
    sums ``forward[n, NUM_QUANTITIES]`` and ``remote[n, 3]`` (columns of
    :data:`REMOTE_NODE_ORBITS`, in its order)."""
    system, _ = derive()
    remote_index = {column: i for i, column in enumerate(REMOTE_NODE_ORBITS.values())}
    h = np.empty((forward.shape[0], NUM_NODE_ORBITS_BY_SIZE[5]), dtype=np.int64)
    for o, source in enumerate(system.sources):
        if source[0] == "degree":
            h[:, o] = degrees
        elif source[0] == "forward":
            h[:, o] = forward[:, source[1]]
        else:
            h[:, o] = remote[:, remote_index[source[1]]]
    return _back_substitute(h, system)


def solve_edges(columns: np.ndarray, slots: np.ndarray, reverse: np.ndarray, block: int = 8192) -> np.ndarray:
    """``int64[len(slots), 68]`` induced edge orbit counts of the edges at
    CSR ``slots`` (``columns[slot]`` holds the kernel columns at ``(x, y)``,
    ``columns[reverse[slot]]`` those at ``(y, x)``), solved ``block`` edges at
    a time so the temporaries stay small."""
    _, system = derive()
    orbits = directed_orbits()
    counts = np.zeros((slots.shape[0], NUM_EDGE_ORBITS_BY_SIZE[5]), dtype=np.int64)
    for start in range(0, slots.shape[0], block):
        at = slots[start:start + block]
        values, flipped_values = columns[at], columns[reverse[at]]
        h = np.empty((at.shape[0], len(orbits)), dtype=np.int64)
        for k, source in enumerate(system.sources):
            if source is None:
                h[:, k] = 1
            else:
                column, flipped = source
                h[:, k] = (flipped_values if flipped else values)[:, column]
        induced = _back_substitute(h, system)
        rows = counts[start:start + block]
        for k, orbit in enumerate(orbits):
            if orbit.edge_orbit >= 0:
                rows[:, orbit.edge_orbit] += induced[:, k]
    return counts
