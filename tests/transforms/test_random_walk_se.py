"""AddRandomWalkSE against PyG's AddRandomWalkPE."""
import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.transforms import AddRandomWalkPE
from torch_geometric.utils import to_undirected

from graphrep.transforms import AddRandomWalkSE


def random_graph(num_nodes, num_edges, seed):
    edges = torch.from_numpy(np.random.default_rng(seed).integers(0, num_nodes, size=(2, num_edges)))
    edges = edges[:, edges[0] != edges[1]]
    return Data(edge_index=to_undirected(edges, num_nodes=num_nodes), num_nodes=num_nodes,
                x=torch.randn(num_nodes, 3))


@pytest.mark.parametrize("num_nodes,num_edges", [(30, 60), (2500, 6000)])  # PyG's dense and sparse paths
@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")  # PyG's sparse path, the reference
def test_matches_pyg_random_walk_pe(num_nodes, num_edges):
    data = random_graph(num_nodes, num_edges, seed=num_nodes)
    with torch.sparse.check_sparse_tensor_invariants(False):  # PyG's sparse path asks torch for a choice
        expected = AddRandomWalkPE(6)(data.clone()).random_walk_pe
    ours = AddRandomWalkSE(6)(data.clone())
    assert ours.random_walk_se.dtype == torch.float32 and ours.random_walk_se.shape == (num_nodes, 6)
    torch.testing.assert_close(ours.random_walk_se, expected, atol=1e-6, rtol=1e-5)


def test_concatenates_to_x_and_works_on_batches():
    graphs = [random_graph(12, 20, seed) for seed in range(3)]
    batch = Batch.from_data_list(graphs)
    out = AddRandomWalkSE(4, attr_name=None)(batch.clone())
    assert out.x.shape == (36, 7)
    torch.testing.assert_close(out.x[:, :3], batch.x)
    per_graph = torch.cat([AddRandomWalkSE(4)(g.clone()).random_walk_se for g in graphs])
    torch.testing.assert_close(out.x[:, 3:], per_graph)


def test_repr_and_bad_walk_length():
    assert repr(AddRandomWalkSE(5)) == "AddRandomWalkSE(walk_length=5, attr_name='random_walk_se')"
    with pytest.raises(ValueError, match="walk_length"):
        AddRandomWalkSE(0)
