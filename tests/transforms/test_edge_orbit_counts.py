import networkx as nx
import numpy as np
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.utils import from_networkx

from graphrep.orbits.brute import edge_orbit_counts_brute
from graphrep.transforms import AddEdgeOrbitCounts


def _karate() -> Data:
    data = from_networkx(nx.karate_club_graph())
    data.edge_attr = torch.ones(data.edge_index.shape[1], 2)
    return data


def _brute_rows(edge_index: torch.Tensor, num_nodes: int, graphlet_size: int = 4) -> torch.Tensor:
    """The brute-force count row of each column of edge_index (zeros for self-loops)."""
    graph = nx.Graph()
    graph.add_nodes_from(range(num_nodes))
    graph.add_edges_from((u, v) for u, v in edge_index.T.tolist() if u != v)
    edges, counts = edge_orbit_counts_brute(graph, graphlet_size)
    row = {tuple(edge): count for edge, count in zip(edges.tolist(), counts)}
    zero = np.zeros(counts.shape[1], dtype=np.int64)
    return torch.tensor(np.array([row.get((min(u, v), max(u, v)), zero) for u, v in edge_index.T.tolist()]),
                        dtype=torch.float)


def test_both_directions_get_the_row_of_their_edge_appended_to_edge_attr():
    data = AddEdgeOrbitCounts()(_karate())
    assert data.edge_attr.shape == (156, 14)
    torch.testing.assert_close(data.edge_attr[:, :2], torch.ones(156, 2))
    expected = torch.log1p(_brute_rows(data.edge_index, 34))
    torch.testing.assert_close(data.edge_attr[:, 2:], expected)
    src, dst = data.edge_index
    position = {(u, v): i for i, (u, v) in enumerate(zip(src.tolist(), dst.tolist()))}
    reverse = torch.tensor([position[v, u] for u, v in zip(src.tolist(), dst.tolist())])
    torch.testing.assert_close(data.edge_attr[reverse], data.edge_attr)


def test_one_direction_duplicates_and_self_loops():
    # a 4-cycle 0-1-2-3 with the chord 0-2, given once each, plus a repeat and two loops
    edge_index = torch.tensor([[0, 1, 2, 3, 0, 2, 1, 3], [1, 2, 3, 0, 2, 0, 1, 3]])
    data = AddEdgeOrbitCounts(normalization=None)(Data(edge_index=edge_index, num_nodes=4))
    assert data.edge_attr.shape == (8, 12)
    torch.testing.assert_close(data.edge_attr, _brute_rows(edge_index, 4))
    torch.testing.assert_close(data.edge_attr[4], data.edge_attr[5])       # (0, 2) and its repeat (2, 0)
    assert data.edge_attr[4, 10] == 1 and data.edge_attr[0, 9] == 1        # diagonal, outer edge of the diamond
    assert (data.edge_attr[6:] == 0).all()                                  # self-loops


def test_standard_normalisation_over_unique_edges_and_other_attribute():
    data = _karate()
    data = AddEdgeOrbitCounts(normalization="standard", attr_name="edge_orbits")(data)
    assert data.edge_orbits.shape == (156, 12) and data.edge_attr.shape == (156, 2)
    per_edge = data.edge_orbits[data.edge_index[0] < data.edge_index[1]]   # each undirected edge once
    used = per_edge[:, per_edge.abs().sum(0) > 0]
    torch.testing.assert_close(used.mean(0), torch.zeros(used.shape[1]), atol=1e-5, rtol=0)
    torch.testing.assert_close(used.std(0, correction=0), torch.ones(used.shape[1]), atol=1e-5, rtol=0)


def test_sets_edge_attr_when_absent_and_one_dimensional_attr():
    data = _karate()
    del data.edge_attr
    assert AddEdgeOrbitCounts()(data).edge_attr.shape == (156, 12)
    data = _karate()
    data.edge_attr = torch.arange(156, dtype=torch.float)
    data = AddEdgeOrbitCounts()(data)
    assert data.edge_attr.shape == (156, 13) and data.edge_attr[5, 0] == 5


def test_bad_normalization_and_repr():
    with pytest.raises(ValueError, match="normalization must be one of"):
        AddEdgeOrbitCounts(normalization="minmax")
    assert repr(AddEdgeOrbitCounts()) == "AddEdgeOrbitCounts(normalization='log', graphlet_size=4)"
    with pytest.raises(ValueError, match="graphlet_size must be 4 or 5, got 6"):
        AddEdgeOrbitCounts(graphlet_size=6)


def test_five_node_edge_orbits_both_directions_and_self_loops():
    data = from_networkx(nx.gnp_random_graph(16, 0.3, seed=8))
    loops = torch.tensor([[3, 5], [3, 5]])
    data.edge_index = torch.cat([data.edge_index, loops], dim=1)
    data = AddEdgeOrbitCounts(normalization=None, graphlet_size=5)(data)
    assert data.edge_attr.shape == (data.edge_index.shape[1], 68)
    torch.testing.assert_close(data.edge_attr, _brute_rows(data.edge_index, 16, graphlet_size=5))
    assert (data.edge_attr[-2:] == 0).all() and data.edge_attr[:, 28:].sum() > 0
    assert repr(AddEdgeOrbitCounts(graphlet_size=5)) == "AddEdgeOrbitCounts(normalization='log', graphlet_size=5)"
