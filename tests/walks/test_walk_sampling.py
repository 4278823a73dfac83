"""Walk samplers against exact transition probabilities."""
import numba
import numpy as np
import pytest
import torch

from graphrep import as_graph
from graphrep.walks import pyg_random_walk, random_walk, sample_walks

# A small graph with a triangle, a square, a pendant node and an isolated node (7).
EDGES = np.array([[0, 1], [1, 2], [2, 0], [2, 3], [3, 4], [4, 5], [5, 2], [5, 6]])
GRAPH = as_graph(EDGES, num_nodes=8)
ADJ = GRAPH.to_scipy().toarray()


def first_order_matrix():
    degree = ADJ.sum(1, keepdims=True)
    return np.divide(ADJ, degree, out=np.eye(len(ADJ)), where=degree > 0)


def second_order_probability(previous, current, p, q):
    """Exact node2vec transition probabilities out of ``current`` having come from ``previous``."""
    weights = np.zeros(len(ADJ))
    for x in np.flatnonzero(ADJ[current]):
        weights[x] = 1 / p if x == previous else (1.0 if ADJ[previous, x] else 1 / q)
    return weights / weights.sum()


def test_walks_follow_edges_and_isolated_nodes_stay():
    start = np.arange(8).repeat(5)
    for p, q in [(1.0, 1.0), (0.25, 4.0)]:
        walks = sample_walks(GRAPH, start, 12, p=p, q=q, seed=3)
        assert walks.shape == (40, 13) and walks.dtype == np.int64
        np.testing.assert_array_equal(walks[:, 0], start)
        src, dst = walks[:, :-1].ravel(), walks[:, 1:].ravel()
        moved = src != 7
        assert ADJ[src[moved], dst[moved]].all()
        assert (walks[start == 7] == 7).all()


def test_uniform_step_frequencies_match_transition_matrix():
    start = np.arange(7).repeat(4000)
    walks = sample_walks(GRAPH, start, 3, seed=11)
    counts = np.zeros((8, 8))
    np.add.at(counts, (walks[:, :-1].ravel(), walks[:, 1:].ravel()), 1)
    empirical = counts[:7] / counts[:7].sum(1, keepdims=True)
    np.testing.assert_allclose(empirical, first_order_matrix()[:7], atol=0.02)


@pytest.mark.parametrize("p,q", [(0.5, 2.0), (2.0, 0.5), (4.0, 4.0), (0.25, 0.25)])
def test_node2vec_step_frequencies_match_exact_bias(p, q):
    start = np.array([0, 3, 6]).repeat(20000)
    walks = sample_walks(GRAPH, start, 4, p=p, q=q, seed=5)
    triples = np.stack([walks[:, 1:-1].ravel(), walks[:, 2:].ravel()], 1)
    previous_current = np.stack([walks[:, :-2].ravel(), walks[:, 1:-1].ravel()], 1)
    checked = 0
    for t, v in {tuple(pair) for pair in previous_current.tolist()}:
        mask = (previous_current[:, 0] == t) & (previous_current[:, 1] == v)
        if mask.sum() < 3000:
            continue
        empirical = np.bincount(triples[mask, 1], minlength=8) / mask.sum()
        np.testing.assert_allclose(empirical, second_order_probability(t, v, p, q), atol=0.025)
        checked += 1
    assert checked >= 5


def test_first_step_of_node2vec_walk_is_uniform():
    walks = sample_walks(GRAPH, np.full(20000, 2), 2, p=0.1, q=10.0, seed=1)
    empirical = np.bincount(walks[:, 1], minlength=8) / 20000
    np.testing.assert_allclose(empirical, first_order_matrix()[2], atol=0.015)


@pytest.mark.parametrize("p,q", [(1.0, 1.0), (0.5, 2.0)])
def test_deterministic_per_seed_whatever_the_thread_count(p, q):
    start = np.arange(7).repeat(300)
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = sample_walks(GRAPH, start, 20, p=p, q=q, seed=42)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = sample_walks(GRAPH, start, 20, p=p, q=q, seed=42)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(one, many)
    assert not np.array_equal(one, sample_walks(GRAPH, start, 20, p=p, q=q, seed=43))
    # a walk's stream depends on its row, not on the other rows
    np.testing.assert_array_equal(sample_walks(GRAPH, start[:50], 20, p=p, q=q, seed=42), one[:50])


def test_random_walk_torch_wrapper_matches_numpy_walks():
    edge_index = torch.from_numpy(GRAPH.edge_index())
    start = torch.tensor([0, 4, 7, 7])
    walks = random_walk(edge_index, start, 6, num_nodes=8, seed=9)
    assert walks.dtype == torch.long and walks.shape == (4, 7)
    np.testing.assert_array_equal(walks.numpy(), sample_walks(GRAPH, start.numpy(), 6, seed=9))
    rowptr, col = torch.from_numpy(GRAPH.indptr), torch.from_numpy(GRAPH.indices)
    np.testing.assert_array_equal(pyg_random_walk(rowptr, col, start, 6, seed=9).numpy(), walks.numpy())


def test_empty_start_gives_empty_walks():
    assert sample_walks(GRAPH, np.array([], dtype=np.int64), 5, seed=0).shape == (0, 6)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"start": [0, -1]}, "start"),
        ({"start": [0, 8]}, "start"),
        ({"start": [[0]]}, "start"),
        ({"start": [0.5]}, "start"),
        ({"walk_length": 0}, "walk_length"),
        ({"walk_length": 2.5}, "walk_length"),
        ({"p": 0.0}, "p"),
        ({"q": -1.0}, "q"),
        ({"q": float("nan")}, "q"),
    ],
)
def test_bad_input_names_the_argument(kwargs, match):
    arguments = {"start": [0, 1], "walk_length": 3, **kwargs}
    with pytest.raises(ValueError, match=match):
        sample_walks(GRAPH, arguments.pop("start"), arguments.pop("walk_length"), **arguments)


def test_empty_graph_is_rejected():
    with pytest.raises(ValueError, match="graph"):
        sample_walks(np.zeros((0, 2), dtype=np.int64), [0], 3)
    with pytest.raises(ValueError, match="graph"):
        random_walk(torch.zeros((2, 0), dtype=torch.long), torch.tensor([0]), 3)


def test_pyg_node2vec_trains_on_graphrep_walks():
    from graphrep.utils import seed_everything
    from graphrep.walks import make_node2vec

    seed_everything(0)
    model = make_node2vec(torch.from_numpy(GRAPH.edge_index()), embedding_dim=8, walk_length=6,
                          context_size=3, walks_per_node=4, p=0.5, q=2.0, num_nodes=8)
    pos, _ = model.sample(list(range(8)))
    moved = pos[:, :-1] != 7
    assert ADJ[pos[:, :-1][moved], pos[:, 1:][moved]].all()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        optimizer.zero_grad()
        loss = model.loss(*model.sample(list(range(8))))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])


@pytest.mark.parametrize("p,q", [(1.0, 1.0), (0.5, 2.0)])
def test_pyg_random_walk_holds_at_sinks_of_a_directed_csr(p, q):
    rowptr, col = torch.tensor([0, 1, 1]), torch.tensor([1])  # 0 -> 1, and 1 has no out-edge
    walks = pyg_random_walk(rowptr, col, torch.tensor([0, 1]), 4, p, q, seed=0)
    assert walks.tolist() == [[0, 1, 1, 1, 1], [1, 1, 1, 1, 1]]
