"""Sort-based deduplication in CSRGraph.from_edges and the edge_index cache."""
import numpy as np
import torch

from graphrep import CSRGraph, as_graph


def test_from_edges_matches_a_set_of_pairs():
    rng = np.random.default_rng(0)
    edges = rng.integers(0, 50, size=(600, 2))
    g = CSRGraph.from_edges(edges, 55)
    pairs = {(int(u), int(v)) for u, v in edges if u != v} | {(int(v), int(u)) for u, v in edges if u != v}
    rebuilt = {(u, int(v)) for u in range(55) for v in g.neighbors(u)}
    assert rebuilt == pairs and g.num_nodes == 55
    assert all(np.all(np.diff(g.neighbors(u)) > 0) for u in range(55))
    assert g.indices.dtype == np.int64 and g.indptr[-1] == len(pairs)


def test_edge_index_tensor_converts_once_and_sees_in_place_edits():
    edge_index = torch.tensor([[0, 1, 1, 2], [1, 0, 2, 1]])
    first = as_graph(edge_index)
    assert as_graph(edge_index) is first
    assert as_graph(edge_index, num_nodes=5) is not first and as_graph(edge_index, num_nodes=5).num_nodes == 5
    edge_index[1, 0] = 3
    edited = as_graph(edge_index)
    assert edited is not first and edited.neighbors(0).tolist() == [1, 3]
    assert as_graph(edge_index.clone()) is not edited
