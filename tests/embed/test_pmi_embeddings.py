"""PMI, SVD embeddings and the RWPMI / GOPMI recipes against dense references."""
import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from graphrep import as_graph
from graphrep.embed import gopmi, pmi_matrix, rwpmi, svd_embedding
from graphrep.walks import walk_adjacency

KARATE = as_graph(nx.karate_club_graph())


def test_pmi_matches_dense_formula():
    counts = np.random.default_rng(0).integers(0, 4, size=(20, 15)).astype(float)
    counts[3] = 0  # an empty row stays empty
    total, rows, cols = counts.sum(), counts.sum(1, keepdims=True), counts.sum(0, keepdims=True)
    for b in (1.0, 5.0):
        with np.errstate(divide="ignore", invalid="ignore"):
            expected = np.maximum(np.nan_to_num(np.log(counts * total / (b * rows * cols)), neginf=0.0), 0.0)
        np.testing.assert_allclose(pmi_matrix(sp.csr_array(counts), negative=b).toarray(), expected)


def test_pmi_of_walk_cooccurrence_is_the_netmf_matrix():
    window, b = 5, 2.0
    adjacency = KARATE.to_scipy().toarray().astype(float)
    degree = adjacency.sum(1)
    step = adjacency / degree[:, None]
    walk_sum = sum(np.linalg.matrix_power(step, r) for r in range(1, window + 1))
    netmf = np.log(np.maximum(degree.sum() / (b * window) * walk_sum / degree[None, :], 1.0))
    ours = pmi_matrix(sp.diags_array(degree) @ walk_adjacency(KARATE, window), negative=b)
    np.testing.assert_allclose(ours.toarray(), netmf, atol=1e-12)


def test_svd_embedding_factorises_a_low_rank_psd_matrix():
    factors = np.random.default_rng(1).normal(size=(50, 4))
    psd = factors @ factors.T
    embedding = svd_embedding(psd, 4, seed=3)
    np.testing.assert_allclose(embedding @ embedding.T, psd, atol=1e-8)
    np.testing.assert_allclose(embedding, svd_embedding(sp.csr_array(psd), 4, seed=3), atol=1e-10)
    padded = svd_embedding(np.eye(3), 5)
    assert padded.shape == (3, 5) and not padded[:, 3:].any()
    assert not svd_embedding(sp.csr_array((6, 6)), 2).any()


def test_rwpmi_is_svd_of_netmf_and_deterministic():
    first = rwpmi(KARATE, 8, window=3, seed=0)
    assert first.shape == (34, 8)
    np.testing.assert_array_equal(first, rwpmi(KARATE, 8, window=3, seed=0))
    netmf = pmi_matrix(sp.diags_array(KARATE.degrees.astype(float)) @ walk_adjacency(KARATE, 3))
    singular = np.linalg.svd(netmf.toarray(), compute_uv=False)[:8]
    np.testing.assert_allclose(np.sort(np.linalg.norm(first, axis=0) ** 2)[::-1], singular, rtol=1e-6)
    sampled = rwpmi(KARATE, 8, window=3, num_walks=20, seed=0)
    assert sampled.shape == (34, 8) and np.isfinite(sampled).all()


def test_gopmi_concatenates_per_matrix_embeddings():
    adjacency = KARATE.to_scipy()
    matrices = {"a": adjacency, "a2": adjacency @ adjacency, "empty": sp.csr_array((34, 34))}
    embedding = gopmi(matrices, 3, keys=["a2", "empty", "a"], seed=1)
    assert embedding.shape == (34, 9)
    np.testing.assert_array_equal(embedding[:, :3], svd_embedding(pmi_matrix(matrices["a2"]), 3, seed=1))
    assert not embedding[:, 3:6].any()
    assert gopmi(matrices, 2).shape == (34, 6)


def test_bad_input():
    with pytest.raises(ValueError, match="negative"):
        pmi_matrix(np.eye(3), negative=0)
    with pytest.raises(ValueError, match="matrix"):
        pmi_matrix(-np.eye(3))
    with pytest.raises(ValueError, match="dim"):
        svd_embedding(np.eye(3), 0)
    with pytest.raises(ValueError, match="keys"):
        gopmi({"a": np.eye(3)}, 2, keys=["b"])
    with pytest.raises(TypeError, match="orbit_adjacency"):
        gopmi(np.eye(3), 2)
