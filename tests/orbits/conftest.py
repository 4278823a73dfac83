import networkx as nx
import numpy as np
import pytest

from graphrep.orbits import available_backends

BACKENDS = available_backends()


def disjoint_union(graphs) -> nx.Graph:
    """One graph holding all of ``graphs`` as components: orbit adjacencies
    are local, so one kernel call checks hundreds of small graphs."""
    return nx.disjoint_union_all([nx.convert_node_labels_to_integers(g) for g in graphs])


@pytest.fixture(scope="session")
def atlas_union() -> nx.Graph:
    return disjoint_union(g for g in nx.graph_atlas_g()[1:] if 2 <= g.number_of_nodes() <= 7)


@pytest.fixture(scope="session")
def random_union() -> nx.Graph:
    rng = np.random.default_rng(0)
    graphs = []
    for i in range(300):
        n = int(rng.integers(5, 15))
        graphs.append(nx.gnp_random_graph(n, float(rng.uniform(0.1, 0.9)), seed=i))
    graphs += [nx.star_graph(9), nx.complete_graph(8), nx.empty_graph(3), nx.wheel_graph(9),
               nx.complete_bipartite_graph(3, 5), nx.petersen_graph()]
    return disjoint_union(graphs)


def assert_same(left, right):
    assert set(left) == set(right)
    for key in right:
        difference = left[key] != right[key]
        assert difference.nnz == 0, f"{key} differs at {np.argwhere(difference.toarray())[:3]}"
