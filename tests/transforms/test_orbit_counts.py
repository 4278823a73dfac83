import networkx as nx
import pytest
import torch
from torch_geometric.data import Data
from torch_geometric.utils import from_networkx

from graphrep.orbits.brute import orbit_counts_brute
from graphrep.transforms import AddOrbitCounts


def _karate() -> Data:
    graph = nx.karate_club_graph()
    data = from_networkx(graph)
    data.x = torch.ones(graph.number_of_nodes(), 2)
    return data


def test_appends_log_counts_to_existing_features():
    data = AddOrbitCounts()(_karate())
    expected = torch.log1p(torch.from_numpy(orbit_counts_brute(nx.karate_club_graph())).float())
    assert data.x.shape == (34, 17)
    torch.testing.assert_close(data.x[:, 2:], expected)
    torch.testing.assert_close(data.x[:, :2], torch.ones(34, 2))


def test_sets_x_when_absent_and_standardises():
    data = _karate()
    del data.x
    data = AddOrbitCounts(normalization="standard")(data)
    assert data.x.shape == (34, 15)
    used = data.x[:, data.x.abs().sum(0) > 0]
    torch.testing.assert_close(used.mean(0), torch.zeros(used.shape[1]), atol=1e-5, rtol=0)


def test_other_attribute_and_bad_normalization():
    data = AddOrbitCounts(normalization=None, attr_name="orbits")(_karate())
    assert data.orbits.shape == (34, 15) and data.x.shape == (34, 2)
    assert data.orbits[:, 0].tolist() == [float(d) for _, d in nx.karate_club_graph().degree()]
    with pytest.raises(ValueError, match="normalization must be one of"):
        AddOrbitCounts(normalization="minmax")
    assert repr(AddOrbitCounts()) == "AddOrbitCounts(normalization='log', graphlet_size=4)"


def test_five_node_orbits():
    graph = nx.gnp_random_graph(16, 0.3, seed=7)
    data = from_networkx(graph)
    data.x = torch.ones(16, 2)
    data = AddOrbitCounts(graphlet_size=5)(data)
    assert data.x.shape == (16, 75)
    torch.testing.assert_close(data.x[:, 2:], torch.log1p(torch.from_numpy(orbit_counts_brute(graph, 5)).float()))
    assert repr(AddOrbitCounts(graphlet_size=5)) == "AddOrbitCounts(normalization='log', graphlet_size=5)"
    with pytest.raises(ValueError, match="graphlet_size must be 4 or 5, got 3"):
        AddOrbitCounts(graphlet_size=3)
