"""Return probabilities and walk adjacencies against dense matrix powers."""
import networkx as nx
import numpy as np
import pytest

from graphrep import as_graph
from graphrep.walks import (
    return_probabilities, sampled_walk_adjacency, sample_walks, transition_matrix, walk_adjacency,
)


def dense_transition(graph):
    adjacency = graph.to_scipy().toarray().astype(float)
    degree = adjacency.sum(1, keepdims=True)
    return np.divide(adjacency, degree, out=np.zeros_like(adjacency), where=degree > 0)


GRAPHS = {
    "karate": as_graph(nx.karate_club_graph()),
    "random-with-isolated": as_graph(np.random.default_rng(1).integers(0, 40, size=(70, 2)), num_nodes=45),
    "tree": as_graph(nx.balanced_tree(2, 5)),
}


@pytest.mark.parametrize("name", GRAPHS)
@pytest.mark.parametrize("walk_length", [1, 2, 7, 8])
def test_return_probabilities_match_matrix_powers(name, walk_length):
    graph = GRAPHS[name]
    step = dense_transition(graph)
    expected = np.stack(
        [np.diag(np.linalg.matrix_power(step, k)) for k in range(1, walk_length + 1)], axis=1
    )
    np.testing.assert_allclose(return_probabilities(graph, walk_length), expected, atol=1e-12)


@pytest.mark.parametrize("name", GRAPHS)
def test_walk_adjacency_is_sum_of_transition_powers(name):
    graph = GRAPHS[name]
    step = dense_transition(graph)
    expected = sum(np.linalg.matrix_power(step, r) for r in range(1, 6))
    np.testing.assert_allclose(transition_matrix(graph).toarray(), step)
    np.testing.assert_allclose(walk_adjacency(graph, 5).toarray(), expected, atol=1e-12)


def test_sampled_walk_adjacency_converges_to_its_expectation():
    graph = GRAPHS["karate"]
    step = dense_transition(graph)
    num_walks, walk_length, window = 2000, 6, 3
    counts = sampled_walk_adjacency(
        graph, window, walk_length=walk_length, num_walks=num_walks, seed=4
    ).toarray()
    # E[#(u at position i, v at position i + r)] summed over walks from every node
    n = graph.num_nodes
    expected = np.zeros((n, n))
    for i in range(walk_length):
        at_i = np.ones(n) @ np.linalg.matrix_power(step, i)
        for r in range(1, min(window, walk_length - i) + 1):
            expected += at_i[:, None] * np.linalg.matrix_power(step, r)
    expected = num_walks * (expected + expected.T)
    assert counts.sum() == pytest.approx(expected.sum())
    np.testing.assert_allclose(counts / counts.sum(), expected / expected.sum(), atol=4e-4)
    assert np.abs(counts - expected).max() / expected.max() < 0.05


def test_sampled_walk_adjacency_counts_given_walks():
    graph = GRAPHS["karate"]
    walks = sample_walks(graph, np.arange(34), 5, seed=0)
    counts = sampled_walk_adjacency(graph, 2, walks=walks).toarray()
    expected = np.zeros((34, 34))
    for walk in walks:
        for i in range(6):
            for j in range(i + 1, min(i + 3, 6)):
                expected[walk[i], walk[j]] += 1
                expected[walk[j], walk[i]] += 1
    np.testing.assert_array_equal(counts, expected)


def test_bad_input():
    graph = GRAPHS["karate"]
    with pytest.raises(ValueError, match="walk_length"):
        return_probabilities(graph, 0)
    with pytest.raises(ValueError, match="window"):
        walk_adjacency(graph, 0)
    with pytest.raises(ValueError, match="walks"):
        sampled_walk_adjacency(graph, 2, walks=np.array([[0, 99]]))
    with pytest.raises(ValueError, match="num_walks"):
        sampled_walk_adjacency(graph, 2, num_walks=0)
