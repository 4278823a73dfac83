"""The connected graphlets G0..G29 on 2-5 nodes, their node orbits 0..72 and
edge orbits 0..67, as data.

Node orbits follow Pržulj's numbering (as ORCA and GraphCrunch number them);
edge orbits follow ORCA's ``edge`` output (the single-edge graphlet G0 has no
edge orbit). Both were read off ORCA's output on each graphlet alone and
checked against the automorphisms of each graphlet (see ``docs/counts5.rst``).

Each graphlet is stored with its own node labels ``0..k-1``: ``edges`` lists
its edges, ``node_orbits[i]`` is the orbit of node ``i`` and
``edge_orbits[j]`` the edge orbit of ``edges[j]``.

>>> GRAPHLETS[11].name, GRAPHLETS[11].node_orbits
('4-star', (22, 22, 22, 22, 23))
>>> identify(3, [(0, 1), (1, 2)]).node_orbits    # a 3-path labelled 0-1-2
(1, 2, 1)
"""
from __future__ import annotations

from functools import lru_cache
from itertools import combinations, permutations
from typing import NamedTuple, Sequence

import numpy as np

__all__ = [
    "Graphlet", "GRAPHLETS", "NUM_NODE_ORBITS_BY_SIZE", "NUM_EDGE_ORBITS_BY_SIZE", "GRAPHLET_OF_NODE_ORBIT",
    "GRAPHLET_OF_EDGE_ORBIT", "LabelledGraphlet", "identify", "pair_index", "check_graphlet_size",
]


class Graphlet(NamedTuple):
    index: int
    name: str
    num_nodes: int
    edges: tuple[tuple[int, int], ...]
    node_orbits: tuple[int, ...]
    edge_orbits: tuple[int, ...]


def _graphlet(index, name, num_nodes, edges, node_orbits, edge_orbits) -> Graphlet:
    return Graphlet(index, name, num_nodes, tuple(edges), tuple(node_orbits), tuple(edge_orbits))


GRAPHLETS: tuple[Graphlet, ...] = (
    _graphlet(0, "edge", 2, [(0, 1)], [0, 0], [-1]),
    _graphlet(1, "3-path", 3, [(0, 1), (0, 2)], [2, 1, 1], [0, 0]),
    _graphlet(2, "triangle", 3, [(0, 1), (0, 2), (1, 2)], [3, 3, 3], [1, 1, 1]),
    _graphlet(3, "4-path", 4, [(0, 1), (0, 3), (1, 2)], [5, 5, 4, 4], [3, 2, 2]),
    _graphlet(4, "3-star", 4, [(0, 3), (1, 3), (2, 3)], [6, 6, 6, 7], [4, 4, 4]),
    _graphlet(5, "4-cycle", 4, [(0, 1), (0, 3), (1, 2), (2, 3)], [8, 8, 8, 8], [5, 5, 5, 5]),
    _graphlet(6, "paw", 4, [(0, 3), (1, 2), (1, 3), (2, 3)], [9, 10, 10, 11], [6, 7, 8, 8]),
    _graphlet(7, "diamond", 4, [(0, 1), (0, 2), (0, 3), (1, 2), (2, 3)], [13, 12, 13, 12], [9, 10, 9, 9, 9]),
    _graphlet(8, "4-clique", 4, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)], [14] * 4, [11] * 6),
    _graphlet(9, "5-path", 5, [(0, 1), (0, 4), (1, 2), (2, 3)], [16, 17, 16, 15, 15], [13, 12, 13, 12]),
    _graphlet(10, "fork", 5, [(0, 4), (1, 3), (2, 3), (3, 4)], [18, 19, 19, 21, 20], [14, 15, 15, 16]),
    _graphlet(11, "4-star", 5, [(0, 4), (1, 4), (2, 4), (3, 4)], [22, 22, 22, 22, 23], [17] * 4),
    _graphlet(12, "triangle with two pendants on different nodes", 5,
              [(0, 1), (0, 2), (0, 4), (1, 2), (2, 3)], [26, 25, 26, 24, 24], [19, 20, 18, 19, 18]),
    _graphlet(13, "triangle with a 2-path", 5, [(0, 4), (1, 2), (1, 3), (2, 3), (3, 4)],
              [27, 29, 29, 30, 28], [21, 23, 24, 24, 22]),
    _graphlet(14, "triangle with two pendants on one node", 5, [(0, 4), (1, 4), (2, 3), (2, 4), (3, 4)],
              [31, 31, 32, 32, 33], [25, 25, 26, 27, 27]),
    _graphlet(15, "5-cycle", 5, [(0, 1), (0, 4), (1, 2), (2, 3), (3, 4)], [34] * 5, [28] * 5),
    _graphlet(16, "4-cycle with a pendant", 5, [(0, 1), (1, 3), (1, 4), (2, 3), (2, 4)],
              [35, 38, 36, 37, 37], [29, 31, 31, 30, 30]),
    _graphlet(17, "diamond with a pendant on a degree-3 node", 5,
              [(0, 1), (1, 2), (1, 3), (1, 4), (2, 3), (2, 4)], [39, 42, 41, 40, 40], [32, 35, 34, 34, 33, 33]),
    _graphlet(18, "bowtie", 5, [(0, 1), (0, 4), (1, 4), (2, 3), (2, 4), (3, 4)],
              [43, 43, 43, 43, 44], [36, 37, 37, 36, 37, 37]),
    _graphlet(19, "diamond with a pendant on a degree-2 node", 5,
              [(0, 1), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)], [45, 47, 46, 48, 48], [38, 40, 40, 39, 39, 41]),
    _graphlet(20, "complete bipartite K2,3", 5, [(0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4)],
              [50, 50, 49, 49, 49], [42] * 6),
    _graphlet(21, "house", 5, [(0, 1), (0, 3), (0, 4), (1, 2), (2, 3), (3, 4)],
              [53, 51, 51, 53, 52], [44, 46, 45, 43, 44, 45]),
    _graphlet(22, "book of three triangles", 5, [(0, 3), (0, 4), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)],
              [54, 54, 54, 55, 55], [47, 47, 47, 47, 47, 47, 48]),
    _graphlet(23, "4-clique with a pendant", 5, [(0, 4), (1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)],
              [56, 57, 57, 57, 58], [49, 50, 50, 51, 50, 51, 51]),
    _graphlet(24, "fan", 5, [(0, 1), (0, 4), (1, 2), (1, 3), (1, 4), (2, 3), (3, 4)],
              [59, 61, 59, 60, 60], [53, 52, 53, 55, 55, 52, 54]),
    _graphlet(25, "K2,3 plus an edge between the degree-2 side", 5,
              [(0, 2), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (2, 4)], [63, 63, 64, 62, 64],
              [57, 56, 57, 57, 56, 57, 58]),
    _graphlet(26, "4-clique with a node on two of its nodes", 5,
              [(0, 1), (0, 3), (0, 4), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)], [66, 66, 65, 67, 67],
              [60, 61, 61, 61, 61, 59, 59, 62]),
    _graphlet(27, "wheel", 5, [(0, 1), (0, 3), (0, 4), (1, 2), (1, 4), (2, 3), (2, 4), (3, 4)],
              [68, 68, 68, 68, 69], [63, 63, 64, 63, 64, 63, 64, 64]),
    _graphlet(28, "5-clique minus an edge", 5,
              [(0, 1), (0, 3), (0, 4), (1, 2), (1, 3), (1, 4), (2, 3), (2, 4), (3, 4)], [70, 71, 70, 71, 71],
              [65, 65, 65, 65, 66, 66, 65, 65, 66]),
    _graphlet(29, "5-clique", 5, list(combinations(range(5), 2)), [72] * 5, [67] * 10),
)

# Columns of the count matrices: node orbits 0..14 and edge orbits 0..11 for
# graphlets on up to 4 nodes, 0..72 and 0..67 for up to 5.
NUM_NODE_ORBITS_BY_SIZE = {4: 15, 5: 73}
NUM_EDGE_ORBITS_BY_SIZE = {4: 12, 5: 68}
GRAPHLET_OF_NODE_ORBIT = tuple(
    next(g.index for g in GRAPHLETS if orbit in g.node_orbits) for orbit in range(NUM_NODE_ORBITS_BY_SIZE[5])
)
GRAPHLET_OF_EDGE_ORBIT = tuple(
    next(g.index for g in GRAPHLETS if orbit in g.edge_orbits) for orbit in range(NUM_EDGE_ORBITS_BY_SIZE[5])
)


def check_graphlet_size(graphlet_size: int) -> int:
    """``graphlet_size`` (the most nodes of a counted graphlet) when it is 4
    or 5, else ``ValueError`` naming the argument.

    >>> check_graphlet_size(5)
    5
    """
    if isinstance(graphlet_size, bool) or not isinstance(graphlet_size, (int, np.integer)) \
            or int(graphlet_size) not in NUM_NODE_ORBITS_BY_SIZE:
        raise ValueError(f"graphlet_size must be 4 or 5, got {graphlet_size!r}")
    return int(graphlet_size)


def pair_index(a: int, b: int, num_nodes: int) -> int:
    """Bit of the pair ``{a, b}`` in a ``num_nodes``-node adjacency mask
    (pairs in ``combinations`` order)."""
    a, b = min(a, b), max(a, b)
    return a * num_nodes - a * (a + 1) // 2 + b - a - 1


class LabelledGraphlet(NamedTuple):
    """A graphlet found on labelled nodes ``0..k-1``: its index, each node's
    orbit, and ``{(a, b): edge orbit}`` for each edge ``a < b``."""

    graphlet: int
    node_orbits: tuple[int, ...]
    edge_orbits: dict[tuple[int, int], int]


@lru_cache(maxsize=None)
def _table(num_nodes: int) -> dict[int, LabelledGraphlet]:
    """Every connected labelled graph on ``num_nodes`` nodes, keyed by its
    adjacency mask: all relabellings of each graphlet."""
    table = {}
    for graphlet in (g for g in GRAPHLETS if g.num_nodes == num_nodes):
        for perm in permutations(range(num_nodes)):
            mask = 0
            edge_orbits = {}
            for (a, b), orbit in zip(graphlet.edges, graphlet.edge_orbits):
                pa, pb = sorted((perm[a], perm[b]))
                mask |= 1 << pair_index(pa, pb, num_nodes)
                edge_orbits[pa, pb] = orbit
            node_orbits = [0] * num_nodes
            for node, orbit in enumerate(graphlet.node_orbits):
                node_orbits[perm[node]] = orbit
            table.setdefault(mask, LabelledGraphlet(graphlet.index, tuple(node_orbits), edge_orbits))
    return table


def identify(num_nodes: int, edges: Sequence[tuple[int, int]] | int) -> LabelledGraphlet | None:
    """The graphlet on nodes ``0..num_nodes-1`` with these edges (or this
    adjacency mask), with each node's and edge's orbit; ``None`` when the graph
    is not connected. One dictionary look-up: the table of all labelled
    connected graphs on up to 5 nodes (728 on 5) is built once."""
    if isinstance(edges, int):
        mask = edges
    else:
        mask = 0
        for a, b in edges:
            mask |= 1 << pair_index(a, b, num_nodes)
    return _table(num_nodes).get(mask)
