"""A slow, obviously correct reference: enumerate every connected induced
subgraph on 2-4 nodes (ESU, Wernicke 2006), name its graphlet and orbits
from its degree sequence, its edge orbits from the orbits of their ends
(:data:`~graphrep.orbits.systems.EDGE_ORBIT_ENDPOINTS`), and count each
ordered node pair, node or edge. On up to 5 nodes, each subgraph is named by
one look-up of its adjacency in the table of all labelled graphlets
(:func:`graphrep.orbits.graphlets.identify`).

Use it on small graphs to check the fast kernels:

>>> import networkx as nx
>>> from graphrep.orbits import orbit_adjacency
>>> g = nx.petersen_graph()
>>> fast, slow = orbit_adjacency(g), orbit_adjacency_brute(g)
>>> all((fast[key] != slow[key]).nnz == 0 for key in slow)
True
"""
from __future__ import annotations

from collections import Counter
from itertools import combinations
from typing import Any, Iterator

import numpy as np
import scipy.sparse as sp

from graphrep.graph import as_graph
from graphrep.orbits.graphlets import (NUM_EDGE_ORBITS_BY_SIZE, NUM_NODE_ORBITS_BY_SIZE, LabelledGraphlet,
                                       check_graphlet_size, identify, pair_index)
from graphrep.orbits.keys import GRAPHLET_OF_ORBIT, NUM_ORBITS, ORBIT_ADJACENCY_KEYS, OrbitKey
from graphrep.orbits.systems import EDGE_ORBIT_ENDPOINTS

__all__ = [
    "connected_subgraphs", "orbits_of", "edge_orbits_of", "graphlet_occurrences", "orbit_adjacency_brute",
    "orbit_counts_brute", "edge_orbit_counts_brute", "graphlet_adjacency_brute",
]

_EDGE_ORBIT_OF_ENDS = {tuple(sorted(ends)): e for e, ends in enumerate(EDGE_ORBIT_ENDPOINTS)}

# (nodes, edges, sorted degrees) -> {degree inside the graphlet: orbit}
_ORBIT_BY_DEGREE = {
    (2, 1, (1, 1)): {1: 0},
    (3, 2, (1, 1, 2)): {1: 1, 2: 2},
    (3, 3, (2, 2, 2)): {2: 3},
    (4, 3, (1, 1, 2, 2)): {1: 4, 2: 5},
    (4, 3, (1, 1, 1, 3)): {1: 6, 3: 7},
    (4, 4, (2, 2, 2, 2)): {2: 8},
    (4, 4, (1, 2, 2, 3)): {1: 9, 2: 10, 3: 11},
    (4, 5, (2, 2, 3, 3)): {2: 12, 3: 13},
    (4, 6, (3, 3, 3, 3)): {3: 14},
}


def connected_subgraphs(neighbors: list[set[int]], max_size: int = 4) -> Iterator[tuple[int, ...]]:
    """Yields every connected node set of 2..``max_size`` nodes exactly once."""

    def extend(subgraph, frontier, closed, root):
        if len(subgraph) >= 2:
            yield subgraph
        if len(subgraph) == max_size:
            return
        frontier = set(frontier)
        while frontier:
            w = frontier.pop()
            exclusive = {x for x in neighbors[w] if x > root and x not in closed}
            yield from extend(subgraph + (w,), frontier | exclusive, closed | neighbors[w], root)

    for root in range(len(neighbors)):
        yield from extend((root,), {x for x in neighbors[root] if x > root},
                          neighbors[root] | {root}, root)


def orbits_of(nodes: tuple[int, ...], neighbors: list[set[int]]) -> dict[int, int]:
    """The orbit of each node of the connected induced subgraph on ``nodes``."""
    inside = {a: {b for b in nodes if b in neighbors[a]} for a in nodes}
    degrees = {a: len(inside[a]) for a in nodes}
    signature = (len(nodes), sum(degrees.values()) // 2, tuple(sorted(degrees.values())))
    return {a: _ORBIT_BY_DEGREE[signature][degrees[a]] for a in nodes}


def edge_orbits_of(nodes: tuple[int, ...], neighbors: list[set[int]]) -> dict[tuple[int, int], int]:
    """``{(a, b): edge orbit}`` for each edge ``a < b`` of the connected
    induced subgraph on ``nodes`` (none for the single-edge graphlet)."""
    orbit = orbits_of(nodes, neighbors)
    found = {}
    for a, b in combinations(sorted(nodes), 2):
        if b in neighbors[a]:
            edge_orbit = _EDGE_ORBIT_OF_ENDS.get(tuple(sorted((orbit[a], orbit[b]))))
            if edge_orbit is not None:
                found[a, b] = edge_orbit
    return found


def _orbits_and_distances(nodes: tuple[int, ...], neighbors: list[set[int]]):
    inside = {a: {b for b in nodes if b in neighbors[a]} for a in nodes}
    orbit = orbits_of(nodes, neighbors)
    distance = {}
    for a in nodes:
        seen, layer, hop = {a}, {a}, 0
        while layer:
            for b in layer:
                distance[a, b] = hop
            layer = {c for b in layer for c in inside[b]} - seen
            seen |= layer
            hop += 1
    return orbit, distance


def _neighbor_sets(graph) -> tuple[Any, list[set[int]]]:
    g = as_graph(graph)
    return g, [set(g.neighbors(u).tolist()) for u in range(g.num_nodes)]


def orbit_adjacency_brute(graph) -> dict[OrbitKey, sp.csr_array]:
    """The 28 orbit adjacency matrices by full enumeration (small graphs only)."""
    g, neighbors = _neighbor_sets(graph)
    counts = {key: Counter() for key in ORBIT_ADJACENCY_KEYS}
    for nodes in connected_subgraphs(neighbors):
        orbit, distance = _orbits_and_distances(nodes, neighbors)
        for a, b in combinations(nodes, 2):
            counts[OrbitKey(distance[a, b], orbit[a], orbit[b])][a, b] += 1
            counts[OrbitKey(distance[a, b], orbit[b], orbit[a])][b, a] += 1
    return {key: _sparse(pairs, g.num_nodes) for key, pairs in counts.items()}


def graphlet_occurrences(neighbors: list[set[int]], max_size: int = 5
                         ) -> Iterator[tuple[tuple[int, ...], LabelledGraphlet]]:
    """Each connected induced subgraph on 2..``max_size`` nodes once, with its
    graphlet and orbits (positions in the node tuple)."""
    for nodes in connected_subgraphs(neighbors, max_size):
        size = len(nodes)
        mask = 0
        for i, j in combinations(range(size), 2):
            if nodes[j] in neighbors[nodes[i]]:
                mask |= 1 << pair_index(i, j, size)
        yield nodes, identify(size, mask)


def orbit_counts_brute(graph, graphlet_size: int = 4) -> np.ndarray:
    """``int64[n, 15]`` (``graphlet_size=4``) or ``int64[n, 73]`` (``5``)
    per-node orbit counts by full enumeration."""
    graphlet_size = check_graphlet_size(graphlet_size)
    g, neighbors = _neighbor_sets(graph)
    if graphlet_size == 5:
        counts = np.zeros((g.num_nodes, NUM_NODE_ORBITS_BY_SIZE[5]), dtype=np.int64)
        for nodes, found in graphlet_occurrences(neighbors, 5):
            counts[list(nodes), list(found.node_orbits)] += 1
        return counts
    counts = np.zeros((g.num_nodes, NUM_ORBITS), dtype=np.int64)
    for nodes in connected_subgraphs(neighbors):
        orbit, _ = _orbits_and_distances(nodes, neighbors)
        for a in nodes:
            counts[a, orbit[a]] += 1
    return counts


def edge_orbit_counts_brute(graph, graphlet_size: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """``(edges int64[m, 2], counts int64[m, 12 or 68])``: each edge ``u < v``
    (in CSR order) and how many induced graphlets on 3..``graphlet_size``
    nodes hold it on each edge orbit, by full enumeration. On 3-4 nodes the
    edge orbits come from the orbits of their ends; on 5, from the table of
    labelled graphlets (two independent namings, so the tests compare them)."""
    graphlet_size = check_graphlet_size(graphlet_size)
    g, neighbors = _neighbor_sets(graph)
    edges = g.edge_list()
    row = {(int(u), int(v)): i for i, (u, v) in enumerate(edges)}
    counts = np.zeros((edges.shape[0], NUM_EDGE_ORBITS_BY_SIZE[graphlet_size]), dtype=np.int64)
    if graphlet_size == 4:
        for nodes in connected_subgraphs(neighbors):
            for edge, edge_orbit in edge_orbits_of(nodes, neighbors).items():
                counts[row[edge], edge_orbit] += 1
        return edges, counts
    for nodes, found in graphlet_occurrences(neighbors, graphlet_size):
        for (i, j), edge_orbit in found.edge_orbits.items():
            if edge_orbit >= 0:
                counts[row[tuple(sorted((nodes[i], nodes[j])))], edge_orbit] += 1
    return edges, counts


def graphlet_adjacency_brute(graph) -> dict[int, sp.csr_array]:
    """``{g: n x n csr_array}``: for each graphlet G0..G8, how many induced
    copies hold each pair of distinct nodes, by full enumeration."""
    g, neighbors = _neighbor_sets(graph)
    counts = {graphlet: Counter() for graphlet in range(len(set(GRAPHLET_OF_ORBIT)))}
    for nodes in connected_subgraphs(neighbors):
        graphlet = GRAPHLET_OF_ORBIT[orbits_of(nodes, neighbors)[nodes[0]]]
        for a, b in combinations(nodes, 2):
            counts[graphlet][a, b] += 1
            counts[graphlet][b, a] += 1
    return {graphlet: _sparse(pairs, g.num_nodes) for graphlet, pairs in counts.items()}


def _sparse(pairs: Counter, n: int) -> sp.csr_array:
    rows = np.array([pair[0] for pair in pairs], dtype=np.int64)
    cols = np.array([pair[1] for pair in pairs], dtype=np.int64)
    values = np.array(list(pairs.values()), dtype=np.int64)
    return sp.csr_array(sp.coo_array((values, (rows, cols)), shape=(n, n)))
