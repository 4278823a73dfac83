"""Walk counts A, A^2, A^3 as sums of orbit adjacency matrices, on real graphs.

For u != v, with M = orbit_adjacency(G) and A the adjacency matrix:

* A      = M(1,0,0)
* A^2    = M(2,1,1) + M(1,3,3)
* A^3    = M(1,0,0) + M(1,1,2) + M(1,2,1) + 2 M(1,3,3)                  (walks that revisit a node)
           + M(3,4,4) + M(1,8,8) + M(2,9,10) + M(2,10,9)
           + M(1,12,13) + M(1,13,12) + 2 M(2,12,12) + 2 M(1,14,14)      (paths u-a-b-v)

and on the diagonal diag(A^2) = orbit 0 (degree), diag(A^3) = 2 x orbit 3 (triangles).
"""
import numpy as np
import pytest
import scipy.sparse as sp

from graphrep import as_graph
from graphrep.datasets import load_airports, load_graph
from graphrep.orbits import ORBIT_ADJACENCY_KEYS, orbit_adjacency, orbit_counts
from graphrep.walks.identities import UNSEEN_BY_SHORT_WALKS, WALK_ORBIT_IDENTITIES, walk_count_from_orbits


@pytest.fixture(scope="module", params=["karate", "airports-brazil", "airports-europe"])
def graph_and_orbits(request, shared_data):
    if request.param == "karate":
        graph = as_graph(load_graph("karate"))
    else:
        graph = as_graph(load_airports(request.param.split("-")[1], shared_data)[0])
    return graph, orbit_adjacency(graph), orbit_counts(graph)


def off_diagonal(matrix):
    matrix = sp.csr_array(matrix).tolil()
    matrix.setdiag(0)
    return sp.csr_array(matrix)


@pytest.mark.parametrize("length", [1, 2, 3])
def test_walk_counts_are_sums_of_orbit_adjacencies(graph_and_orbits, length):
    graph, orbits, _ = graph_and_orbits
    adjacency = graph.to_scipy()
    walks = sp.csr_array(adjacency)
    for _ in range(length - 1):
        walks = walks @ adjacency
    expected = off_diagonal(walks).toarray()
    explicit = sum(coefficient * orbits[key] for key, coefficient in WALK_ORBIT_IDENTITIES[length].items())
    np.testing.assert_array_equal(off_diagonal(explicit).toarray(), expected)
    np.testing.assert_array_equal(walk_count_from_orbits(orbits, length).toarray(), expected)
    assert expected.any()


def test_walk_count_diagonals_are_orbit_counts(graph_and_orbits):
    graph, _, counts = graph_and_orbits
    adjacency = graph.to_scipy()
    square = adjacency @ adjacency
    np.testing.assert_array_equal(square.diagonal(), counts[:, 0])
    np.testing.assert_array_equal((square @ adjacency).diagonal(), 2 * counts[:, 3])


def test_unseen_keys_are_the_keys_no_identity_uses():
    seen = set().union(*WALK_ORBIT_IDENTITIES.values())
    assert seen <= set(ORBIT_ADJACENCY_KEYS)
    assert set(UNSEEN_BY_SHORT_WALKS) == set(ORBIT_ADJACENCY_KEYS) - seen
    assert len(UNSEEN_BY_SHORT_WALKS) == 15
