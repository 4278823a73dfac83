"""Anonymous walks against brute-force enumeration."""
import itertools
from collections import Counter

import numpy as np
import pytest

from graphrep import as_graph
from graphrep.walks import anonymize, anonymous_walk_distribution, anonymous_walk_patterns

BELL = [1, 1, 2, 5, 15, 52, 203, 877]


def anonymize_reference(walk):
    first = {}
    return [first.setdefault(node, len(first)) for node in walk]


def test_anonymize_matches_reference():
    walks = np.random.default_rng(0).integers(0, 6, size=(500, 9))
    expected = [anonymize_reference(row) for row in walks.tolist()]
    assert anonymize(walks).tolist() == expected


@pytest.mark.parametrize("length", range(1, 7))
def test_patterns_are_every_walk_shape_on_a_complete_graph(length):
    patterns = anonymous_walk_patterns(length)
    assert len(patterns) == BELL[length] + 1
    # on K_(length+1) every anonymous walk of that length occurs
    nodes = range(length + 1)
    shapes = {
        tuple(anonymize_reference((0, *rest)))
        for rest in itertools.product(nodes, repeat=length)
        if all(a != b for a, b in zip((0, *rest), rest))
    }
    assert shapes | {(0,) * (length + 1)} == set(map(tuple, patterns.tolist()))
    assert patterns.tolist() == sorted(patterns.tolist())


def exact_distribution(graph, length):
    """Probability of each anonymous walk from each node, by enumerating all walks."""
    adjacency = [graph.neighbors(v).tolist() for v in range(graph.num_nodes)]
    result = []
    for source in range(graph.num_nodes):
        distribution = Counter()
        frontier = [((source,), 1.0)]
        for _ in range(length):
            frontier = [
                (walk + (x,), prob / len(adjacency[walk[-1]]))
                for walk, prob in frontier for x in adjacency[walk[-1]]
            ] if adjacency[source] else [(walk + (walk[-1],), prob) for walk, prob in frontier]
        for walk, prob in frontier:
            distribution[tuple(anonymize_reference(walk))] += prob
        result.append(distribution)
    return result


def test_distribution_converges_to_exact_probabilities():
    graph = as_graph(np.array([[0, 1], [1, 2], [2, 0], [2, 3], [3, 4], [4, 5], [5, 2]]), num_nodes=7)
    length = 4
    sampled = anonymous_walk_distribution(graph, length, num_walks=20000, seed=2)
    patterns = [tuple(row) for row in anonymous_walk_patterns(length).tolist()]
    exact = np.array([[dist[pattern] for pattern in patterns] for dist in exact_distribution(graph, length)])
    np.testing.assert_allclose(exact.sum(1), 1.0)
    np.testing.assert_allclose(sampled, exact, atol=0.015)
    assert sampled[6, 0] == 1.0  # the isolated node only ever stays put


def test_bad_input():
    with pytest.raises(ValueError, match="walk_length"):
        anonymous_walk_patterns(11)
    with pytest.raises(ValueError, match="walk_length"):
        anonymous_walk_patterns(0)
    with pytest.raises(ValueError, match="num_walks"):
        anonymous_walk_distribution(np.array([[0, 1]]), 3, 0)
    with pytest.raises(ValueError, match="walks"):
        anonymize(np.zeros(3, dtype=np.int64))
