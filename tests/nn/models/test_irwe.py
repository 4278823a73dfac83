"""IRWE: equivariance, automorphisms, inductive use, odd graphs, objectives.

Tolerance. Embeddings depend on sampled walks, so two runs on the same
structure differ by walk-sampling noise. We measure errors relative to the
spread of the embeddings (``||A - B||_F / ||B - mean(B)||_F``): on the
30-node graph below with 48 walks per node (300 for the statistics), a
relabelling moves identity embeddings by about 0.04 (two walk seeds: about
0.04 too) and position embeddings by about 0.27, while an unrelated node
order gives about 1.4. A relabelled graph must stay within
``TOLERANCE = 0.7`` and at most half the error of a random shuffle.
"""
import warnings

import networkx as nx
import numpy as np
import pytest
import torch

from graphrep import as_graph
from graphrep.nn import IRWE
from graphrep.nn.models import identity_loss, skipgram_loss, stats_dim, structural_order, walk_features

TOLERANCE = 0.7

SMALL = dict(identity_channels=16, position_channels=16, hidden_channels=16, heads=2, num_walks=48,
             walk_length=4, aw_length=3, target_walks=300, epochs=4, batch_size=64)


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).norm() / (b - b.mean(0)).norm())


@pytest.fixture(scope="module")
def random_graph():
    graph = nx.gnm_random_graph(30, 70, seed=3)
    return np.array(list(graph.edges())), 30


@pytest.fixture(scope="module")
def trained(random_graph):
    edges, n = random_graph
    return IRWE(**SMALL, seed=1).fit(as_graph(edges, num_nodes=n))


def test_relabelling_permutes_embeddings(random_graph, trained):
    edges, n = random_graph
    # Colour refinement tells every node of this graph apart (checked with
    # networkx's independent WL hashes), so the random position code, too,
    # follows the relabelling.
    with warnings.catch_warnings():
        # Only distinctness within one run matters, not hashes across networkx versions.
        warnings.filterwarnings("ignore", message="The hashes produced for graphs without node or edge attributes")
        hashes = nx.weisfeiler_lehman_subgraph_hashes(nx.Graph(edges.tolist()), iterations=3)
    assert len({h[-1] for h in hashes.values()}) == n
    perm = np.random.default_rng(0).permutation(n)
    identity, position = trained.embed(as_graph(edges, num_nodes=n))
    relabelled = as_graph(perm[edges], num_nodes=n)  # node i becomes row perm[i]
    identity_p, position_p = trained.embed(relabelled)
    identity_other_seed, _ = trained.embed(as_graph(edges, num_nodes=n), seed=11)
    shuffle = torch.from_numpy(np.random.default_rng(1).permutation(n))
    for original, permuted in ((identity, identity_p), (position, position_p)):
        error = relative_error(permuted[perm], original)
        assert error < TOLERANCE
        assert error < 0.5 * relative_error(original[shuffle], original)
    # The relabelling costs no more than resampling the walks.
    assert relative_error(identity_p[perm], identity) < 1.5 * relative_error(identity_other_seed, identity)


def test_structural_order_follows_relabelling(random_graph):
    edges, n = random_graph
    perm = np.random.default_rng(5).permutation(n)
    order = structural_order(as_graph(edges, num_nodes=n))
    order_p = structural_order(as_graph(perm[edges], num_nodes=n))
    np.testing.assert_array_equal(order_p, perm[order])


def test_star_leaves_get_matching_identities(trained):
    # A star with 6 leaves and a tail: leaves 1..6 are automorphic.
    graph = nx.star_graph(6)
    graph.add_edges_from([(0, 7), (7, 8), (8, 9)])
    identity, _ = trained.embed(graph)
    leaves = identity[1:7]
    spread = relative_error(identity[torch.tensor([0, 7, 8, 9, 1])], identity[torch.tensor([1, 1, 1, 1, 1])])
    leaf_error = float((leaves - leaves.mean(0)).norm(dim=1).max() / (identity - identity.mean(0)).norm(dim=1).mean())
    assert leaf_error < 0.5, (leaf_error, spread)
    # Non-automorphic nodes are farther from a leaf than the leaves are from each other.
    leaf_gaps = torch.cdist(leaves, leaves).max()
    assert torch.cdist(identity[torch.tensor([0, 7, 8])], leaves).min() > leaf_gaps


def test_identity_keeps_the_standardised_log_degree(random_graph, trained):
    # The skip path: the last identity column is log(1 + deg) standardised
    # with the training graph's mean and deviation, on any graph.
    edges, n = random_graph
    train_log_degree = np.log1p(as_graph(edges, num_nodes=n).degrees)
    mean, std = train_log_degree.mean(), train_log_degree.std()
    unseen = nx.barbell_graph(5, 3)
    identity, _ = trained.embed(unseen)
    expected = (np.log1p(as_graph(unseen).degrees) - mean) / std
    np.testing.assert_allclose(identity[:, -1].numpy(), expected, rtol=1e-5, atol=1e-5)


def test_embeds_unseen_graph_reproducibly(trained):
    unseen = nx.barbell_graph(5, 3)
    identity, position = trained.embed(unseen)
    assert identity.shape == (13, 16) and position.shape == (13, 16)
    assert torch.isfinite(identity).all() and torch.isfinite(position).all()
    again = trained.embed(unseen)
    assert torch.equal(identity, again[0]) and torch.equal(position, again[1])


def test_fit_is_seeded():
    graph = nx.karate_club_graph()
    options = dict(SMALL, num_walks=8, target_walks=40, epochs=2)
    first = IRWE(**options, seed=4).fit(graph).embed(graph)
    second = IRWE(**options, seed=4).fit(graph).embed(graph)
    other = IRWE(**options, seed=5).fit(graph).embed(graph)
    # Equal up to float rounding (multi-threaded CPU reductions may reorder sums).
    torch.testing.assert_close(first, second, rtol=1e-4, atol=1e-5)
    assert relative_error(other[0], first[0]) > 0.1


def test_isolated_nodes_and_components():
    # Two triangles, a path, and isolated nodes 9 and 10.
    edges = np.array([[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 3], [6, 7], [7, 8]])
    model = IRWE(**dict(SMALL, num_walks=8, target_walks=40, epochs=3), seed=0)
    identity, position = model.fit(as_graph(edges, num_nodes=11)).embed(as_graph(edges, num_nodes=11))
    assert identity.shape == (11, 16) and torch.isfinite(identity).all() and torch.isfinite(position).all()
    # Isolated nodes have exactly the same (stuck) walks statistics.
    torch.testing.assert_close(identity[9], identity[10])
    features = walk_features(as_graph(edges, num_nodes=11), num_walks=4, walk_length=3, aw_length=2,
                             target_walks=10, code_dim=4)
    assert (features.walks[9] == 9).all()
    assert (features.aw_index[9] == 0).all()  # the all-zero pattern comes first


def test_positions_separate_communities():
    # A ring of four 6-cliques: after centring, position embeddings within a
    # clique point the same way (cosine) and across cliques they do not.
    graph = nx.ring_of_cliques(4, 6)
    model = IRWE(**dict(SMALL, num_walks=16, target_walks=40, epochs=5, batch_size=24), seed=0)
    _, position = model.fit(graph).embed(graph)
    community = torch.arange(24) // 6
    unit = torch.nn.functional.normalize(position - position.mean(0), dim=1)
    cosine = unit @ unit.T
    same = community[:, None] == community[None, :]
    off_diagonal = ~torch.eye(24, dtype=torch.bool)
    assert cosine[same & off_diagonal].mean() > cosine[~same].mean() + 1.0


def test_walk_features_against_direct_computation():
    graph = as_graph(nx.lollipop_graph(4, 3))
    features = walk_features(graph, num_walks=6, walk_length=4, aw_length=3, target_walks=50, code_dim=8, seed=2)
    log_degree = np.log1p(graph.degrees)
    num_patterns = features.num_patterns
    np.testing.assert_allclose(features.node_stats[:, :num_patterns].sum(1), 1.0, rtol=1e-6)
    # Step 0 of every walk is the node itself: mean log-degree exact, std 0.
    np.testing.assert_allclose(features.node_stats[:, num_patterns], log_degree, rtol=1e-6)
    np.testing.assert_allclose(features.node_stats[:, num_patterns + 5], 0.0, atol=1e-6)
    np.testing.assert_allclose(features.degree_seq, log_degree[features.walks], rtol=1e-6)
    # Every walk really follows edges, and its pattern is its anonymous form.
    adjacency = graph.to_scipy().toarray()
    steps = features.walks[..., :-1].ravel(), features.walks[..., 1:].ravel()
    assert adjacency[steps].all()
    from graphrep.walks import anonymize, anonymous_walk_patterns

    patterns = anonymous_walk_patterns(3)
    np.testing.assert_array_equal(patterns[features.aw_index].reshape(-1, 4),
                                  anonymize(features.walks[..., :4].reshape(-1, 4)))


def test_walk_count_estimates_match_adjacency_powers():
    # N_t (walks of t steps) and C_t (closed walks) against exact powers of A.
    graph = as_graph(nx.lollipop_graph(4, 3))
    walk_length = 4
    features = walk_features(graph, num_walks=2, walk_length=walk_length, aw_length=3, target_walks=4000,
                             code_dim=4, seed=0)
    adjacency = graph.to_scipy().toarray()
    powers = [np.linalg.matrix_power(adjacency, t) for t in range(1, walk_length + 1)]
    exact_walks = np.log1p(np.stack([p.sum(1) for p in powers], 1))
    exact_closed = np.log1p(np.stack([np.diag(p) for p in powers[1:]], 1))
    start = features.num_patterns + 2 * (walk_length + 1)
    np.testing.assert_allclose(features.node_stats[:, start:start + walk_length], exact_walks, atol=0.05)
    np.testing.assert_allclose(features.node_stats[:, start + walk_length:], exact_closed, atol=0.15)
    assert features.node_stats.shape[1] == stats_dim(features.num_patterns, walk_length)


def test_statistics_reduced_in_chunks_match_exact_expectations(monkeypatch):
    # The statistics walks are sampled and reduced in chunks (here 300 walks
    # per node, the last chunk 200); the combined means and deviations must
    # be those of all 2000 walks: compared with exact expectations.
    from graphrep.nn.models import irwe_features

    monkeypatch.setattr(irwe_features, "_CHUNK", 300)
    graph = as_graph(nx.lollipop_graph(4, 3))
    walk_length, target_walks = 3, 2000
    features = walk_features(graph, num_walks=2, walk_length=walk_length, aw_length=3, target_walks=target_walks,
                             code_dim=4, seed=1)
    adjacency = graph.to_scipy().toarray()
    degrees = adjacency.sum(1)
    transition = adjacency / degrees[:, None]
    log_degree = np.log1p(degrees)
    p = features.num_patterns
    stats = features.node_stats
    for t in range(walk_length + 1):
        step = np.linalg.matrix_power(transition, t)  # distribution of the node met at step t
        mean = step @ log_degree
        std = np.sqrt(np.maximum(step @ log_degree ** 2 - mean ** 2, 0.0))
        np.testing.assert_allclose(stats[:, p + t], mean, atol=0.03)
        np.testing.assert_allclose(stats[:, p + walk_length + 1 + t], std, atol=0.03)
    np.testing.assert_allclose(stats[:, :p].sum(1), 1.0, rtol=1e-6)
    # Walk counts N_t (importance-weighted means, chunk sums weighted by chunk size).
    exact_walks = np.log1p(np.stack([np.linalg.matrix_power(adjacency, t).sum(1)
                                     for t in range(1, walk_length + 1)], 1))
    start = p + 2 * (walk_length + 1)
    np.testing.assert_allclose(stats[:, start:start + walk_length], exact_walks, atol=0.03)
    # Co-occurrence: visits at steps 1..L weighted by 1 / sqrt(degree).
    expected = sum(np.linalg.matrix_power(transition, t) @ (1 / np.sqrt(degrees)) for t in range(1, walk_length + 1))
    np.testing.assert_allclose(features.cooccurrence.sum(axis=1), target_walks * expected, rtol=0.03)
    # The anonymous-walk distribution agrees with one unchunked sample.
    monkeypatch.setattr(irwe_features, "_CHUNK", 10**6)
    single = walk_features(graph, num_walks=2, walk_length=walk_length, aw_length=3, target_walks=target_walks,
                           code_dim=4, seed=2)
    np.testing.assert_allclose(stats[:, :p], single.node_stats[:, :p], atol=0.06)


def test_objectives_match_dense_formulas():
    generator = torch.Generator().manual_seed(0)
    logits, degree_pred, degree_target = (torch.randn(4, 5, generator=generator) for _ in range(3))
    target = torch.rand(4, 5, generator=generator)
    target[0, 2] = 0.0
    target = target / target.sum(1, keepdim=True)
    q = torch.softmax(logits, 1)
    kl = sum(t * np.log(t / qq) for row_t, row_q in zip(target.tolist(), q.tolist())
             for t, qq in zip(row_t, row_q) if t > 0) / 4
    mse = float(((degree_pred - degree_target) ** 2).mean())
    assert abs(float(identity_loss(logits, target, degree_pred, degree_target)) - (kl + mse)) < 1e-5

    anchor, context = torch.randn(5, 3, generator=generator), torch.randn(5, 3, generator=generator)
    expected = 0.0
    for i in range(5):
        expected -= np.log(1 / (1 + np.exp(-float(anchor[i] @ context[i]))))
        for k in (1, 2):
            expected -= np.log(1 / (1 + np.exp(float(anchor[i] @ context[(i - k) % 5]))))
    assert abs(float(skipgram_loss(anchor, context, 2)) - expected / 5) < 1e-5
    # Cosine scores with a temperature, negatives drawn from the anchors.
    unit_a, unit_c = (x.numpy() / np.linalg.norm(x.numpy(), axis=1, keepdims=True) for x in (anchor, context))
    expected = 0.0
    for i in range(5):
        expected -= np.log(1 / (1 + np.exp(-float(unit_a[i] @ unit_c[i]) / 0.5)))
        for k in (1, 2, 3):
            expected -= np.log(1 / (1 + np.exp(float(unit_a[i] @ unit_a[(i - k) % 5]) / 0.5)))
    loss = skipgram_loss(anchor, context, 3, negatives=anchor, temperature=0.5)
    assert abs(float(loss) - expected / 5) < 1e-5


@pytest.mark.parametrize("kwargs, name", [
    (dict(num_walks=0), "num_walks"), (dict(aw_length=7, walk_length=6), "aw_length"),
    (dict(window=9), "window"), (dict(beta=-1.0), "beta"), (dict(hidden_channels=10, heads=4), "hidden_channels"),
])
def test_bad_arguments_are_named(kwargs, name):
    with pytest.raises(ValueError, match=name):
        IRWE(**kwargs)


def test_bad_graph_is_named():
    with pytest.raises(ValueError, match="graph"):
        IRWE(**SMALL).embed(np.array([[0, -1]]))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_matches_cpu_shapes():
    graph = nx.karate_club_graph()
    model = IRWE(**dict(SMALL, num_walks=8, target_walks=40, epochs=2)).to("cuda").fit(graph)
    identity, position = model.embed(graph)
    assert identity.device.type == "cpu" and identity.shape == (34, 16) and torch.isfinite(position).all()
